import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger.js';

/** One parsed JSON log line. */
export type LogLine = Record<string, unknown> & { level: string; msg: string };

/** A real pino logger (redaction included) whose lines are collected in memory for assertions. */
export function captureLogger(level = 'debug'): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as LogLine);
      cb();
    },
  });
  return { logger: createLogger({ level, stream }), lines };
}
