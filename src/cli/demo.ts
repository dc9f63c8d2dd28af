import type { Command } from 'commander';
import { startDemo } from '../demo/demo.js';
import { UsageError } from '../errors.js';
import { action, loadCliConfig, withConfigOption, type GlobalOptions } from './context.js';
import { numberFlag } from './flags.js';

/** Flags of `nbwss demo`. */
interface DemoFlags extends GlobalOptions {
  endpointFile?: string;
  fingerprint?: string;
  acceptCertificate?: boolean;
  seed?: string;
  rate?: string;
  failoverAfter?: string;
}

/** Register `nbwss demo` (what `npm start` runs). */
export function registerDemoCommand(program: Command): void {
  withConfigOption(program.command('demo'))
    .description('the whole NBWSS loop in one process: mock NetBackup + simulator, two mock cloud endpoints, the daemon, a readable account; Ctrl-C stops it')
    .option('--endpoint-file <file>', 'drive your own endpoint (its JSON: token, priority, groupId, hostName, url) instead of the mock ones')
    .option('--fingerprint <sha256>', 'with --endpoint-file: the SHA-256 fingerprint its certificate must have')
    .option('--accept-certificate', 'with --endpoint-file: pin whatever certificate it presents')
    .option('--seed <n>', 'simulator seed (default 1): the same seed gives the same jobs')
    .option('--rate <perMinute>', 'scenarios per minute (default 12)')
    .option('--failover-after <seconds>', 'stop mock endpoint 1 after this long (default 12; 0: never)')
    .addHelpText(
      'after',
      `
Runs until Ctrl-C and leaves nothing behind (its temp folder is removed). --config FILE and NBWSS_* variables apply,
except the keys the demo sets itself (database, periods, mock NetBackup, simulator).

Examples:
  npm start                                          # the same as: nbwss demo
  nbwss demo --rate 60 --seed 7
  nbwss demo --endpoint-file ep.json --fingerprint 3A:91:…:C4`,
    )
    .action(action((flags: DemoFlags) => demo(flags)));
}

async function demo(flags: DemoFlags): Promise<number> {
  if ((flags.fingerprint || flags.acceptCertificate) && !flags.endpointFile) throw new UsageError('--fingerprint and --accept-certificate go with --endpoint-file');
  const seed = numberFlag('--seed', 'int', flags.seed);
  const rate = numberFlag('--rate', 'positiveNumber', flags.rate);
  const failover = numberFlag('--failover-after', 'secondsOrZero', flags.failoverAfter);
  const write = (line: string) => process.stdout.write(`${line}\n`);
  const running = await startDemo({
    write,
    configure: (overrides) => loadCliConfig(flags, overrides).config,
    color: process.stdout.isTTY === true && !process.env.NO_COLOR,
    ...(seed !== undefined ? { seed } : {}),
    ...(rate !== undefined ? { rate } : {}),
    ...(failover !== undefined ? { failoverAfterMs: failover * 1000 } : {}),
    ...(flags.endpointFile ? { endpointFile: flags.endpointFile } : {}),
    ...(flags.fingerprint ? { fingerprint: flags.fingerprint } : {}),
    ...(flags.acceptCertificate ? { acceptCertificate: true } : {}),
  });
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  // A second Ctrl-C while stopping: leave at once (the temp folder may stay).
  process.once('SIGINT', () => process.exit(130));
  write('');
  write(`${signal} received.`);
  await running.stop();
  return 0;
}
