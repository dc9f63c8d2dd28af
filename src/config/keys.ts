/**
 * Every configuration key nbwss knows, in one table: the guide's keys (spec §9) and the project's own.
 * The loader (config.ts), the formats (formats.ts), the env variable names, the configuration reference (docs/configuration.md) and the shipped `config/nbwss.properties`
 * are all derived from (or checked against) this table.
 */

/** How a value is written and checked. */
export type ValueKind =
  | 'boolean'
  /** seconds, decimals allowed, > 0 (a period) */
  | 'seconds'
  /** seconds, decimals allowed, >= 0 (a delay) */
  | 'secondsOrZero'
  /** whole milliseconds, > 0 */
  | 'ms'
  /** whole number >= 1 */
  | 'positiveInt'
  /** whole number >= 0 */
  | 'int'
  /** decimal number > 0 */
  | 'positiveNumber'
  | 'string'
  | 'path'
  /** http(s) URL */
  | 'httpUrl'
  /** `host:port`, or empty for off */
  | 'listen'
  /** comma-separated list of non-empty strings */
  | 'list'
  | 'logLevel'
  /** one of {@link LOG_FORMATS} */
  | 'logFormat';

/** Whether SIGHUP applies a change at once, or only a restart does. */
export type Reload = 'live' | 'restart';

/** One key of the table. */
export interface KeyDef {
  kind: ValueKind;
  default: string | number | boolean;
  unit?: string;
  doc: string;
  reload: Reload;
  /** True for the keys the NetBackup guide defines. */
  guide?: boolean;
  /** Never logged (redacted). */
  secret?: boolean;
  /** For a `list`: the items allowed (the simulator's scenario names). */
  choices?: readonly string[];
}

/** The pino levels accepted by `log.level`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The values of `log.format`: `auto` is pretty when the log goes to a terminal, json otherwise. */
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;

/** The key table. Order is the order of the configuration reference (docs/configuration.md) and the shipped properties file. */
export const KEYS = {
  'exception.ignoreDecoder': { kind: 'boolean', default: false, guide: true, reload: 'live', doc: 'On an incoming frame that cannot be decoded: false closes the connection (1003 binary / 1007 invalid), true logs and ignores it.' },
  'notification.sendTimeout': { kind: 'ms', default: 2000, unit: 'ms', guide: true, reload: 'live', doc: 'How long a notification send waits for its NOTIFICATION RESPONSE before the task ends (a late acknowledgement, before the resend, still counts).' },
  'notification.scheduledRate': { kind: 'seconds', default: 5, unit: 's', guide: true, reload: 'live', doc: 'How often new notifications are looked for (from other processes) and how long an unacknowledged batch waits before it is resent.' },
  'notification.delay': { kind: 'secondsOrZero', default: 30, unit: 's', guide: true, reload: 'live', doc: 'A notification becomes eligible for sending this long after it was raised (so a job start and end can share a batch).' },
  'notification.maxBatchSize': { kind: 'positiveInt', default: 100, unit: 'count', reload: 'live', doc: 'Most notifications in one NOTIFICATION REQUEST (a batch is also kept under 2 MB serialized).' },
  'notification.retention': { kind: 'secondsOrZero', default: 86400, unit: 's', reload: 'live', doc: 'Notifications acknowledged by every server group are kept this long for inspection, then pruned. A server group whose last endpoint is deleted keeps its place (cursor, in-flight batch) this long.' },
  'notification.backlogWarning': { kind: 'int', default: 100000, unit: 'count', reload: 'live', doc: 'Warn when a server group has more notifications than this waiting for its acknowledgement (a group nobody drains holds back pruning for every group): in the log when it passes and when it is back under, in nbwss status, the admin API, the console and metrics. 0 turns the warning off.' },
  'keepAlive.scheduledRate': { kind: 'seconds', default: 30, unit: 's', guide: true, reload: 'restart', doc: 'Ping period for each connection (WebSocket ping control frames).' },
  'keepAlive.maxPongMissAllowed': { kind: 'positiveInt', default: 10, unit: 'count', guide: true, reload: 'live', doc: 'Consecutive unanswered pings after which the socket is terminated (a pong resets the count).' },
  'connectionInfo.period': { kind: 'seconds', default: 60, unit: 's', guide: true, reload: 'restart', doc: 'Period of the connection task: connects new/failed-over groups, disconnects deleted or deactivated endpoints.' },
  'connectionInfo.handshakeTimeout': { kind: 'ms', default: 10000, unit: 'ms', reload: 'live', doc: 'Limit for one connection attempt: TCP + TLS + WebSocket upgrade + CONNECT RESPONSE.' },
  'connectionInfo.reconnectOnClose': { kind: 'boolean', default: false, reload: 'live', doc: 'false (NBWSS behaviour): a dropped group reconnects at the next period. true: at once, with full-jitter exponential backoff (base 1 s, cap = period).' },
  'scheduledExecutor.threadPoolSize': { kind: 'positiveInt', default: 1, unit: 'count', guide: true, reload: 'live', doc: 'Most connection attempts (handshakes) in progress at once across all groups: the Java thread pool of NBWSS, mapped to a concurrency bound.' },
  'db.path': { kind: 'path', default: 'var/nbwss.db', reload: 'restart', doc: 'SQLite database (endpoints, outbox, cursors). A relative path is from the folder of this file.' },
  'security.keyFile': { kind: 'path', default: 'var/nbwss.key', reload: 'restart', doc: 'AES-256-GCM key that encrypts endpoint tokens at rest; created with mode 0600 on first use.' },
  'netbackup.baseUrl': { kind: 'httpUrl', default: 'https://localhost:1556', reload: 'restart', doc: 'NetBackup primary server REST base; a COMMAND uri is appended to it.' },
  'netbackup.tls.rejectUnauthorized': { kind: 'boolean', default: true, reload: 'restart', doc: 'Verify the NetBackup server certificate (false only for a lab).' },
  'netbackup.tls.caFile': { kind: 'path', default: '', reload: 'restart', doc: 'PEM file of CA certificates trusted for the NetBackup REST API (empty: the system store).' },
  'netbackup.mock': { kind: 'boolean', default: false, reload: 'restart', doc: 'Start the mock NetBackup primary in-process on netbackup.baseUrl, so one process is a whole simulated NetBackup.' },
  'netbackup.mockTestRoutes': { kind: 'boolean', default: false, reload: 'restart', doc: 'With netbackup.mock: also serve the drill routes /netbackup/test/slow, /large, /echo and /status (see "Mock NetBackup primary").' },
  'command.timeout': { kind: 'ms', default: 30000, unit: 'ms', reload: 'live', doc: 'A COMMAND not answered by NetBackup in this time gets a 504 COMMAND RESPONSE.' },
  'command.maxConcurrent': { kind: 'positiveInt', default: 16, unit: 'count', reload: 'live', doc: 'Most COMMANDs in flight to NetBackup at once per connection; more wait in a queue.' },
  'command.maxQueued': { kind: 'int', default: 1000, unit: 'count', reload: 'live', doc: 'Most COMMANDs waiting per connection beyond maxConcurrent; past it a COMMAND gets 503.' },
  'command.maxQueuedBytes': { kind: 'positiveInt', default: 33554432, unit: 'bytes', reload: 'live', doc: 'Most bytes of COMMAND request bodies (parameters) held per connection, queued and in flight together (32 MiB); past it a COMMAND gets 503. One COMMAND is always let in when the connection holds none.' },
  'command.maxBufferedBytes': { kind: 'positiveInt', default: 8388608, unit: 'bytes', reload: 'live', doc: 'While more than this many bytes wait in a connection\'s socket (8 MiB: the endpoint is not reading), each COMMAND is answered 503 at once instead of being run. Pings, pongs and notification acknowledgements are not held back.' },
  'command.allowedPathPrefixes': { kind: 'list', default: '/netbackup/', reload: 'live', doc: 'Comma-separated path prefixes a COMMAND uri must start with.' },
  'admin.listen': { kind: 'listen', default: '127.0.0.1:9464', reload: 'restart', doc: 'host:port of the admin HTTP API, metrics, health and console; empty turns it off. A non-loopback host needs admin.token.' },
  'admin.eventHistory': { kind: 'int', default: 100, unit: 'count', reload: 'restart', doc: 'Events of each type the event stream keeps for clients that connect later (GET /api/events replays them first); 0 keeps none.' },
  'admin.token': { kind: 'string', default: '', secret: true, reload: 'restart', doc: 'Bearer token required on every admin request when set (required for a non-loopback admin.listen).' },
  'log.level': { kind: 'logLevel', default: 'info', reload: 'live', doc: `One of ${LOG_LEVELS.join(', ')}.` },
  'log.file': { kind: 'path', default: '', reload: 'restart', doc: 'Write the log to this file, appending (empty: stdout).' },
  'log.format': {
    kind: 'logFormat',
    default: 'auto',
    reload: 'restart',
    doc: 'json: one JSON object a line, with level names ("level":"warn"); pretty: one readable line an event (time, level, message, then the fields); auto: pretty when the log goes to a terminal, json otherwise (a pipe, a file, journald, docker logs without -t).',
  },
  'simulator.enabled': { kind: 'boolean', default: false, reload: 'restart', doc: 'Run the NetBackup event simulator in the daemon (needs netbackup.mock for the REST side to match).' },
  'simulator.seed': { kind: 'int', default: 1, unit: 'count', reload: 'restart', doc: 'Seed of the simulator: the same seed gives the same jobs and images.' },
  'simulator.jobsPerMinute': { kind: 'positiveNumber', default: 6, unit: 'jobs/min', reload: 'live', doc: 'Rate at which the simulator starts scenarios.' },
  'simulator.scenarios': { kind: 'list', default: 'vmware,standard,restore,failed,expire,air', choices: ['vmware', 'standard', 'restore', 'failed', 'expire', 'air'], reload: 'live', doc: 'Scenarios the simulator picks from: vmware, standard, restore, failed, expire, air.' },
  'simulator.primaryName': { kind: 'string', default: 'nbu-primary.example.com', reload: 'restart', doc: 'Name of the simulated primary server (the client of VMware parent jobs).' },
  'simulator.pollInterval': { kind: 'seconds', default: 5, unit: 's', reload: 'restart', doc: 'How often the simulator polls job state, as NetBackup does: a state change becomes a notification at the next poll.' },
} as const satisfies Record<string, KeyDef>;

/** A configuration key name. */
export type ConfigKey = keyof typeof KEYS;

/** The environment variable that sets `key`: `NBWSS_` + key in upper case with dots as underscores. */
export function envName(key: string): string {
  return 'NBWSS_' + key.toUpperCase().replace(/\./g, '_');
}
