// `node --import ./test/helpers/import-recorder.mjs …` with IMPORT_RECORDER_FILE=<file>: every module the ES module
// loader resolves is appended to that file, one URL a line (test/cli/program.test.ts checks what a command loads).
import { register } from 'node:module';

register('./import-recorder-hooks.mjs', import.meta.url, { data: { file: process.env.IMPORT_RECORDER_FILE } });
