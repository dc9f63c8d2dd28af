/**
 * What the demo says before it starts and after it stops: what runs, what to watch for, what to try next.
 */

/** Facts the banner names. */
export interface BannerFacts {
  dir: string;
  logFile: string;
  group: string;
  /** `127.0.0.2` etc., in priority order; empty when driving the user's own endpoint. */
  mockHosts: string[];
  /** The user's endpoint, when driving it. */
  ownEndpoint?: { hostName: string; url: string; groupId: string; priority: number };
  rate: number;
  pollInterval: number;
  delay: number;
  failoverAfterS: number;
  returnAfterS: number;
  commandIntervalS: number;
}

/** The text printed first. */
export function banner(f: BannerFacts, bold: (s: string) => string): string {
  const cloud = f.ownEndpoint
    ? [`                                                             └─ your endpoint ${f.ownEndpoint.hostName} (group ${f.ownEndpoint.groupId}, priority ${f.ownEndpoint.priority})`]
    : f.mockHosts.map((h, i) => `                                                             ${i === f.mockHosts.length - 1 ? '└' : '├'}─ endpoint ${i + 1}  ${h}  priority ${i + 1}`);
  const lines = [
    bold('nbwss demo — the whole NBWSS loop in one process'),
    '',
    '  simulator ──changes──► world (jobs, images) ◄──REST── mock NetBackup (https, in-process)',
    '      │                                                   ▲ COMMAND → REST call → COMMAND RESPONSE',
    '      └─raise() at each poll─► outbox (SQLite) ─► daemon ─┴─wss://─► server group ' + (f.ownEndpoint?.groupId ?? f.group),
    ...cloud,
    '',
    bold('What you will see'),
    `  simulator  starts a scenario about ${f.rate} times a minute; every ${f.pollInterval} s it polls job state, as NetBackup does,`,
    '             and raises what changed as JOB and IMAGE notifications (stored first: nothing is lost on a crash)',
    `  daemon     connects the group to its highest-priority endpoint, sends notifications in batches (held ${f.delay} s so`,
    '             a job\'s start and end can share one), one batch at a time until it is acknowledged',
  ];
  if (f.ownEndpoint) {
    lines.push(
      '  endpoint   yours: it must answer CONNECT with {"valid":true} and every NOTIFICATION REQUEST with the same id and',
      '             payload []; it may send COMMANDs, e.g. POST /netbackup/login {"userName":"admin","password":"password"},',
      '             then GET /netbackup/admin/jobs with the token as Authorization (the daemon lines show each one)',
    );
  } else {
    lines.push(
      `  endpoint   the mock cloud endpoints acknowledge, log in to NetBackup through a COMMAND and every ${f.commandIntervalS} s ask`,
      '             for the newest job or image: the REST API answers with the very jobs the notifications announced',
    );
    if (f.failoverAfterS > 0) {
      lines.push(`  failover   at ${f.failoverAfterS} s endpoint 1 is stopped: the group moves to endpoint 2, unacknowledged notifications with it;`);
      if (f.returnAfterS > 0) lines.push(`             ${f.returnAfterS} s later endpoint 1 is back, and the group stays on endpoint 2 (no preemption, spec §7)`);
    }
  }
  lines.push(
    `  summary    now and then: notifications raised, acknowledged and waiting per group`,
    '',
    `  temp folder ${f.dir} (database, token key, endpoint files; deleted on exit)`,
    `  daemon log  ${f.logFile}   (JSON lines: tail -f it in another terminal)`,
    '  Ctrl-C stops everything.',
    '',
  );
  return lines.join('\n');
}

/** The text printed last. */
export function farewell(dir: string, bold: (s: string) => string): string {
  return [
    '',
    `Stopped: sockets closed, ${dir} removed.`,
    '',
    bold('Try next'),
    '  nbwss mock-endpoint --help                      one mock cloud endpoint, with fault switches (--drop-acks, --no-pong, …)',
    '  nbwss demo --endpoint-file ep.json --fingerprint SHA256   drive your own endpoint with this traffic',
    '  nbwss simulate --jobs 1000 --rate 6000          load: notifications appended for a running daemon',
    '  docs/demo.md, docs/your-endpoint.md, docs/service.md',
    '',
  ].join('\n');
}
