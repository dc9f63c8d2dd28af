#!/usr/bin/env node
import { runCli } from './program.js';

// `nbwss … | head`: a reader that leaves early must not turn into a crash; what is left to print is dropped.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

await runCli(process.argv);
