import type { Command } from 'commander';
import type { ConfigKey } from '../config/index.js';
import { createLogger } from '../logger.js';
import { startMockFromBaseUrl, type StartedMock } from '../netbackup-mock/start.js';
import { World } from '../netbackup-mock/world.js';
import { NotificationSource } from '../notifications/source.js';
import type { NotificationObject } from '../protocol/messages.js';
import { Simulator } from '../simulator/simulator.js';
import { Store } from '../store/database.js';
import { OutboxStore } from '../store/outbox-store.js';
import { action, loadCliConfig, warnNoServerGroup, withConfigOption, type GlobalOptions } from './context.js';
import { keyFlag, numberFlag } from './flags.js';
import { cliLogLevel } from './services.js';

/**
 * `nbwss simulate`: burst mode of the event simulator, for load. It runs in its own process, on its own world, and
 * appends the notifications to the outbox of `db.path` as `nbwss notify` does; a running daemon delivers them at
 * its next `notification.scheduledRate` poll.
 *
 * The REST side in this mode: the daemon's in-process mock NetBackup is another process's memory, so it does not
 * know these jobs. Burst jobs are therefore numbered from `--first-job-id` (default 1000000), apart from any id the
 * daemon's own world serves: a COMMAND asking for one gets 404, never another job. For a REST side that matches,
 * `--serve-netbackup URL` serves this run's world (the mock NetBackup REST API) until Ctrl-C; point the daemon's
 * `netbackup.baseUrl` there (with `netbackup.mock=false`).
 */

interface SimulateFlags extends GlobalOptions {
  jobs: string;
  rate?: string;
  scenarios?: string;
  seed?: string;
  pollInterval?: string;
  firstJobId: string;
  serveNetbackup?: string;
  json?: boolean;
}

/** Register `nbwss simulate`. */
export function registerSimulateCommand(program: Command): void {
  withConfigOption(program.command('simulate'))
    .description('burst mode of the event simulator: run N scenarios at a rate and append their notifications to the database (a running daemon delivers them)')
    .requiredOption('--jobs <n>', 'scenarios to run')
    .option('--rate <perMinute>', 'scenarios started per minute (default: simulator.jobsPerMinute)')
    .option('--scenarios <list>', 'comma-separated: vmware, standard, restore, failed, expire, air (default: simulator.scenarios)')
    .option('--seed <n>', 'seed: the same seed gives the same jobs and images (default: simulator.seed)')
    .option('--poll-interval <seconds>', 'job state poll period (default: simulator.pollInterval)')
    .option('--first-job-id <n>', 'smallest job id used (apart from the ids a daemon with netbackup.mock serves)', '1000000')
    .option('--serve-netbackup <url>', 'also serve this run\'s world as the mock NetBackup REST API at URL (http:// or https://host:port) until Ctrl-C')
    .option('--json', 'print the summary as one JSON object')
    .addHelpText(
      'after',
      `
Examples:
  nbwss simulate --jobs 1000 --rate 6000                       # load: 1000 scenarios in about 10 s (+ their run time)
  nbwss simulate --jobs 20 --rate 60 --scenarios vmware,restore --seed 42
  nbwss simulate --jobs 50 --rate 120 --serve-netbackup http://127.0.0.1:1556   # and answer COMMANDs about them`,
    )
    .action(action((flags: SimulateFlags) => simulate(flags)));
}

async function simulate(flags: SimulateFlags): Promise<number> {
  const jobs = numberFlag('--jobs', 'positiveInt', flags.jobs)!;
  const firstJobId = numberFlag('--first-job-id', 'positiveInt', flags.firstJobId)!;
  // The flags become configuration overrides: checked with their key's format, and named as flags in errors.
  const overrides: Partial<Record<ConfigKey, string>> = {};
  const labels: Partial<Record<ConfigKey, string>> = {};
  for (const [flag, key, raw] of [
    ['--rate', 'simulator.jobsPerMinute', flags.rate],
    ['--scenarios', 'simulator.scenarios', flags.scenarios],
    ['--seed', 'simulator.seed', flags.seed],
    ['--poll-interval', 'simulator.pollInterval', flags.pollInterval],
  ] as const) {
    if (raw === undefined) continue;
    keyFlag(flag, key, raw);
    overrides[key] = raw;
    labels[key] = flag;
  }
  // Every value (scenario names included) is checked here, before anything is opened or served.
  const { config } = loadCliConfig(flags, overrides, labels);
  const logger = createLogger({ level: cliLogLevel(config), format: config.log.format, ...(config.log.file ? { file: config.log.file } : { stream: process.stderr }) });
  const say = (text: string) => (flags.json ? process.stderr : process.stdout).write(`${text}\n`);

  const world = new World();
  let served: StartedMock | undefined;
  if (flags.serveNetbackup) served = await startMockFromBaseUrl(flags.serveNetbackup, { world, logger: logger.child({ subsystem: 'netbackup-mock' }) });
  const store = Store.open(config.db.path);
  const outbox = new OutboxStore(store);
  if (outbox.groupCount() === 0) warnNoServerGroup();
  const source = new NotificationSource({ outbox });
  const seqs = { first: Infinity, last: 0 };
  const sink = {
    raise: async (object: NotificationObject, data: readonly Record<string, unknown>[]) => {
      const r = await source.raise(object, data);
      seqs.first = Math.min(seqs.first, r.firstSeq);
      seqs.last = Math.max(seqs.last, r.lastSeq);
      return r;
    },
  };
  const simulator = new Simulator({ world, sink, config: () => config.simulator, logger, maxScenarios: jobs, firstJobId });
  const s = config.simulator;
  say(`simulate: ${jobs} scenario${jobs === 1 ? '' : 's'} (${s.scenarios.join(', ')}) at ${s.jobsPerMinute}/min, seed ${s.seed}, job state polled every ${s.pollInterval} s`);
  say(`  notifications go to ${config.db.path}; a running daemon delivers them within notification.scheduledRate (${config.notification.scheduledRate} s)`);
  if (served) say(`  this run's world is served as the mock NetBackup REST API at ${served.url} (set netbackup.baseUrl=${served.url}; jobs from ${firstJobId})`);
  simulator.on('poll', (p) => {
    if (p.notifications > 0 || p.started > 0) say(`  poll ${p.seq}: ${p.notifications} notifications raised; scenarios ${simulator.stats.scenariosStarted}/${jobs} started, ${p.running} running`);
  });

  const started = Date.now();
  let interrupt!: () => void;
  const interrupted = new Promise<'interrupted'>((resolve) => (interrupt = () => resolve('interrupted')));
  process.once('SIGINT', interrupt).once('SIGTERM', interrupt);
  let outcome: 'done' | 'interrupted' = 'done';
  try {
    simulator.start();
    outcome = await Promise.race([simulator.whenIdle().then(() => 'done' as const), interrupted]);
    await simulator.stop();
    source.close();
  } finally {
    store.close();
  }
  const stats = simulator.stats;
  const summary = {
    outcome,
    scenarios: stats.scenariosStarted,
    notifications: stats.notificationsRaised,
    byObject: stats.byObject,
    byScenario: stats.byScenario,
    seq: stats.notificationsRaised > 0 ? { first: seqs.first, last: seqs.last } : null,
    durationMs: Date.now() - started,
  };
  if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    const range = summary.seq ? ` (seq ${summary.seq.first}-${summary.seq.last})` : '';
    say(`${outcome === 'done' ? 'done' : 'interrupted'}: ${summary.scenarios} scenarios raised ${summary.notifications} notifications — ${stats.byObject.JOB} JOB, ${stats.byObject.IMAGE} IMAGE${range} in ${(summary.durationMs / 1000).toFixed(1)} s`);
  }
  if (served) {
    if (outcome === 'done') {
      say(`serving the simulated world at ${served.url} until Ctrl-C`);
      await interrupted;
    }
    await served.mock.close();
  }
  process.off('SIGINT', interrupt).off('SIGTERM', interrupt);
  return 0;
}
