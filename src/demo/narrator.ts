/**
 * The demo's readable account: one line per thing that happened, with the time since the start and who did it,
 * so a newcomer can follow one notification from the simulator to the endpoint and one COMMAND back to NetBackup.
 */
import { systemClock, type Clock } from '../clock.js';

/** Who a line is about. */
export type Tag = 'demo' | 'simulator' | 'daemon' | 'netbackup' | 'endpoint 1' | 'endpoint 2' | 'endpoint' | 'summary';

const COLORS: Record<Tag, string> = {
  demo: '1', // bold
  simulator: '35', // magenta
  daemon: '36', // cyan
  netbackup: '34', // blue
  'endpoint 1': '32', // green
  'endpoint 2': '33', // yellow
  endpoint: '32',
  summary: '1;37',
};
const TAG_WIDTH = 10;

/** Options of {@link Narrator}. */
export interface NarratorOptions {
  /** Where lines go (a newline is added). */
  write: (text: string) => void;
  clock?: Clock;
  /** ANSI colors (a terminal without NO_COLOR). */
  color?: boolean;
}

/** Writes the account. */
export class Narrator {
  readonly #write: (text: string) => void;
  readonly #clock: Clock;
  readonly #color: boolean;
  readonly #start: number;
  #muted = false;

  constructor(options: NarratorOptions) {
    this.#write = options.write;
    this.#clock = options.clock ?? systemClock;
    this.#color = options.color ?? false;
    this.#start = this.#clock.now();
  }

  /** Seconds since the start, `12.3s`. */
  elapsed(): string {
    return `${((this.#clock.now() - this.#start) / 1000).toFixed(1)}s`;
  }

  /** One event: `  12.3s  daemon     group DEMO connected…`; continuation lines are indented under the text. */
  line(tag: Tag, text: string): void {
    if (this.#muted && tag !== 'demo' && tag !== 'summary') return;
    const head = `${this.elapsed().padStart(7)}  ${tag.padEnd(TAG_WIDTH)} `;
    const [first, ...rest] = text.split('\n');
    const indent = ' '.repeat(head.length);
    const paint = (code: string, s: string) => (this.#color ? `\u001b[${code}m${s}\u001b[0m` : s);
    this.#write(`${paint('2', head.slice(0, 9))}${paint(COLORS[tag], head.slice(9))}${first ?? ''}`);
    for (const r of rest) this.#write(`${indent}${r}`);
  }

  /** From now on only `demo` and `summary` lines are written (while stopping, closes are expected, not news). */
  mute(): void {
    this.#muted = true;
  }

  /** Plain text (the banner, the closing words), as is. */
  text(block: string): void {
    for (const l of block.split('\n')) this.#write(l);
  }

  /** A heading in the banner (bold on a terminal). */
  heading(text: string): string {
    return this.#color ? `\u001b[1m${text}\u001b[0m` : text;
  }
}
