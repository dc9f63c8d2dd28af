import { mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type Logger } from 'pino';
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

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  level: string;
  /** Write to this file (appending); empty or undefined: stdout. */
  file?: string | undefined;
  /** Write to this stream instead (tests capture output this way). */
  stream?: NodeJS.WritableStream;
}

/** The root logger: JSON lines with level names (`"level":"info"`), secrets redacted. Subsystems take `logger.child({ subsystem })`. */
export function createLogger(options: LoggerOptions): Logger {
  const redact = { paths: REDACT_PATHS, censor: '[redacted]' };
  // Level names ("level":"warn"), not pino's numbers: what a reader and a log query expect (issue 12 item 6).
  const formatters = { level: (label: string) => ({ level: label }) };
  const base = { level: options.level, redact, formatters, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  if (options.stream) return pino(base, options.stream as pino.DestinationStream);
  if (options.file) return pino(base, pino.destination({ fd: openLogFile(options.file), sync: false }));
  return pino(base, pino.destination({ dest: 1, sync: false }));
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
