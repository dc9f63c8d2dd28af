import { mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { isatty } from 'node:tty';
import pino, { type DestinationStream, type Logger } from 'pino';
import { ConfigError } from './errors.js';

export type { Logger } from 'pino';

/**
 * Paths pino removes from every log line (STYLE §9): tokens and credentials are redacted at the logger, never by
 * hand at the call site.
 */
export const REDACT_PATHS = [
  'token',
  '*.token',
  '*.*.token',
  'payload.token',
  '*.payload.token',
  'authorization',
  'Authorization',
  'headers.authorization',
  'headers.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  'password',
  '*.password',
  'admin.token',
];

/** `log.format`: `auto` is `pretty` when the log goes to a terminal, `json` otherwise. */
export type LogFormat = 'auto' | 'json' | 'pretty';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  level: string;
  /** Write to this file (appending); empty or undefined: stdout. */
  file?: string | undefined;
  /** Write to this stream instead (tests capture output this way). */
  stream?: NodeJS.WritableStream;
  /** Default `json` (library use and tests); commands pass `log.format`. */
  format?: LogFormat | undefined;
}

/**
 * Keys the pretty format leaves out of the fields it prints after the message: the pid and host (one process, one
 * terminal), the subsystem (it prefixes the message instead) and `startup` (the start-up guidance of `nbwss run`,
 * whose message already says it in words).
 */
const PRETTY_IGNORE = 'pid,hostname,subsystem,startup';

/**
 * The root logger: JSON lines with level names (`"level":"info"`), or readable lines (`log.format`); secrets
 * redacted either way. Subsystems take `logger.child({ subsystem })`.
 */
export function createLogger(options: LoggerOptions): Logger {
  const redact = { paths: REDACT_PATHS, censor: '[redacted]' };
  // Level names ("level":"warn"), not pino's numbers: what a reader and a log query expect (issue 12 item 6).
  const formatters = { level: (label: string) => ({ level: label }) };
  const base = { level: options.level, redact, formatters, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  const format = options.format ?? 'json';
  if (options.stream) {
    const tty = (options.stream as { isTTY?: boolean }).isTTY === true;
    return pino(base, resolveLogFormat(format, tty) === 'pretty' ? prettyStream(options.stream, tty) : (options.stream as DestinationStream));
  }
  const fd = options.file ? openLogFile(options.file) : 1;
  const tty = !options.file && isatty(1);
  // A readable log is for a person watching: written at once (in order with what the command prints).
  if (resolveLogFormat(format, tty) === 'pretty') return pino(base, prettyStream(pino.destination({ fd, sync: true }), tty));
  return pino(base, pino.destination({ fd, sync: false }));
}

/** The format `format` stands for when the log goes to a terminal (`tty`) or not. */
export function resolveLogFormat(format: LogFormat, tty: boolean): 'json' | 'pretty' {
  return format === 'auto' ? (tty ? 'pretty' : 'json') : format;
}

/**
 * pino-pretty's formatter in front of `out`: one line an event, `[time] LEVEL: subsystem: message {fields}`,
 * coloured on a terminal unless NO_COLOR is set. pino-pretty is loaded only here (JSON logs never pay for it).
 */
function prettyStream(out: NodeJS.WritableStream | DestinationStream, tty: boolean): DestinationStream {
  const { prettyFactory } = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  const colorize = tty && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb';
  const prettify = prettyFactory({
    colorize,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: PRETTY_IGNORE,
    messageFormat: '{if subsystem}{subsystem}: {end}{msg}',
  });
  return { write: (line: string) => void out.write(prettify(line)) };
}

/**
 * Open `log.file` for appending, now: a file that cannot be opened is an error naming it at start, not an
 * 'error' event of the asynchronous writer later (which would end the process, and which raced with the removal
 * of the demo's temp folder).
 */
function openLogFile(file: string): number {
  try {
    mkdirSync(dirname(file), { recursive: true });
    return openSync(file, 'a');
  } catch (err) {
    throw new ConfigError(`cannot open log.file ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** A logger that drops everything (library use, tests that do not look at logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
