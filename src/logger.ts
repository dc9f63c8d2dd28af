import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type Logger } from 'pino';

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

/** The root logger: JSON lines, secrets redacted. Subsystems take `logger.child({ subsystem })`. */
export function createLogger(options: LoggerOptions): Logger {
  const redact = { paths: REDACT_PATHS, censor: '[redacted]' };
  const base = { level: options.level, redact, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  if (options.stream) return pino(base, options.stream as pino.DestinationStream);
  if (options.file) {
    mkdirSync(dirname(options.file), { recursive: true });
    return pino(base, pino.destination({ dest: options.file, append: true, mkdir: true, sync: false }));
  }
  return pino(base, pino.destination({ dest: 1, sync: false }));
}

/** A logger that drops everything (library use, tests that do not look at logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
