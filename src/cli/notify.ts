import type { Command } from 'commander';
import { JsonInputError, NotificationValidationError, UsageError } from '../errors.js';
import { prepareNotifications } from '../notifications/source.js';
import { Store } from '../store/database.js';
import { OutboxStore } from '../store/outbox-store.js';
import { readJson } from '../strict-json.js';
import { readInputFile } from './input.js';
import { action, cliConfig, warnNoServerGroup, withConfigOption, type GlobalOptions } from './context.js';

/**
 * `nbwss notify`: raise notifications from another process while the daemon runs. They are appended to the
 * outbox of the same database in one transaction (all or nothing); the daemon's senders pick them up at their
 * next poll (`notification.scheduledRate`). With no server group subscribed yet they are stored but never
 * delivered (a group receives only what is raised after it is added): a warning on stderr says so, exit code 0.
 */

interface NotifyOptions extends GlobalOptions {
  object: string;
  data?: string;
  file?: string;
  json?: boolean;
}

/** The largest input accepted (an array of many notifications). */
const MAX_INPUT_BYTES = 64 * 1024 * 1024;

async function readStdin(): Promise<Buffer> {
  if (process.stdin.isTTY) process.stderr.write('Reading notifications (JSON) from stdin; end with Ctrl-D.\n');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > MAX_INPUT_BYTES) throw new NotificationValidationError(`stdin holds more than ${MAX_INPUT_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The JSON text from exactly one of `--data`, `--file`, `-`. */
async function readInput(opts: NotifyOptions, dash: string | undefined): Promise<{ input: string | Buffer; from: string }> {
  if (dash !== undefined && dash !== '-') throw new UsageError(`unexpected argument "${dash}" (use - to read stdin)`);
  const given = [opts.data !== undefined, opts.file !== undefined, dash === '-'].filter(Boolean).length;
  if (given !== 1) throw new UsageError('give exactly one of --data JSON, --file FILE or - (stdin)');
  if (opts.data !== undefined) return { input: opts.data, from: '--data' };
  if (opts.file !== undefined) {
    const tooLarge = (message: string) => new NotificationValidationError(message);
    return { input: readInputFile(opts.file, '--file', { maxBytes: MAX_INPUT_BYTES, tooLarge }), from: opts.file };
  }
  return { input: await readStdin(), from: 'stdin' };
}

async function notifyAction(dash: string | undefined, opts: NotifyOptions): Promise<number> {
  const objectArg = opts.object.toUpperCase();
  if (objectArg !== 'JOB' && objectArg !== 'IMAGE') throw new UsageError(`--object must be JOB or IMAGE, got "${opts.object}"`);
  const config = cliConfig(opts);
  const { input, from } = await readInput(opts, dash);
  let value: unknown;
  try {
    value = readJson(input);
  } catch (err) {
    if (err instanceof JsonInputError) throw new NotificationValidationError(`${from}: ${err.message}`);
    throw err;
  }
  // validate everything before the database is even opened: nothing partial is ever stored
  const { object, rows } = prepareNotifications(objectArg, value);
  const store = Store.open(config.db.path);
  try {
    const outbox = new OutboxStore(store);
    const [range] = outbox.append([{ rows, raisedAt: Date.now() }]);
    const result = { object, ...range! };
    if (outbox.groupCount() === 0) warnNoServerGroup();
    if (opts.json) process.stdout.write(JSON.stringify(result) + '\n');
    else {
      const seqs = result.count === 1 ? `seq ${result.firstSeq}` : `seq ${result.firstSeq}-${result.lastSeq}`;
      process.stdout.write(`raised ${result.count} ${object} notification${result.count === 1 ? '' : 's'}: ${seqs}\n`);
    }
  } finally {
    store.close();
  }
  return 0;
}

/** Register `nbwss notify`. */
export function registerNotifyCommand(program: Command): void {
  withConfigOption(program.command('notify'))
    .description('raise JOB or IMAGE notifications (appended to the database; the daemon delivers them to every server group)')
    .argument('[-]', 'read the JSON from stdin')
    .requiredOption('--object <type>', 'JOB or IMAGE')
    .option('--data <json>', 'one notification (a JSON object) or an array of them')
    .option('--file <file>', 'read the JSON from a file')
    .option('--json', 'print the assigned seq range as JSON')
    .addHelpText(
      'after',
      `
A JOB needs jobId, parentJobId, jobType, state (QUEUED, ACTIVE, DONE), status, startTime, policyName, policyType,
scheduleType, clientName; an IMAGE needs backupId, operationId (CREATE, UPDATE, DELETE, NO_LOCAL_COPY_AVAILABLE),
clientName, clientType, backupTime, createdTime. Extra fields are passed on. Bad input: exit 1, nothing stored.

Examples:
  nbwss notify --object IMAGE --data '{"backupId":"vm1_1700000000","operationId":"CREATE","clientName":"vm1","clientType":"VMWARE","backupTime":1700000000,"createdTime":1700000100}'
  nbwss notify --object JOB --file jobs.json
  generate-jobs | nbwss notify --object JOB -`,
    )
    .action(action(notifyAction));
}
