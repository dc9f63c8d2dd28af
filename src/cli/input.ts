import { readFileSync, statSync } from 'node:fs';
import { InputError, JsonInputError } from '../errors.js';
import { decodeUtf8Input } from '../strict-json.js';

/**
 * Files named on the command line (endpoint JSON, notifications, CA PEMs, token files): bounded in size, and read as
 * bytes so that the strict readers can refuse what is not UTF-8 instead of decoding it to U+FFFD.
 */

/** Options of {@link readInputFile}. */
export interface InputFileOptions {
  /** Larger files are refused without being read (default 1 MiB). */
  maxBytes?: number;
  /** The error for a file over `maxBytes` (default an InputError). */
  tooLarge?: (message: string) => Error;
}

/** The bytes of `path`; `what` names it in errors ("endpoint file", "--ca file"). */
export function readInputFile(path: string, what: string, options: InputFileOptions = {}): Buffer {
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  let size: number;
  try {
    size = statSync(path).size;
  } catch (err) {
    throw new InputError(`cannot read ${what} ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (size > maxBytes) {
    const message = `${what} ${path} is larger than ${maxBytes} bytes`;
    throw options.tooLarge ? options.tooLarge(message) : new InputError(message);
  }
  try {
    return readFileSync(path);
  } catch (err) {
    throw new InputError(`cannot read ${what} ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** The text of `path`, which must be UTF-8 (an InputError naming the file and the byte otherwise). */
export function readInputText(path: string, what: string, options: InputFileOptions = {}): string {
  return decodeUtf8(readInputFile(path, what, options), `${what} ${path}`);
}

/** Decode `bytes` as UTF-8, refusing (naming `what` and the first bad byte) what is not. */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return decodeUtf8Input(bytes);
  } catch (err) {
    if (err instanceof JsonInputError) throw new InputError(`${what}: ${err.message}`);
    throw err;
  }
}
