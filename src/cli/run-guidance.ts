/**
 * The start-up guidance of `nbwss run` (issue 12 item 6): where the console is, what the daemon will connect to,
 * and what to do next when there is nothing to connect to. Each line is a log line at `info`: readable as it is in
 * the pretty format, and with the same facts as fields (`startup`) in the JSON format.
 */

/** What the guidance is made from. */
export interface GuidanceInput {
  /** The admin API's base URL (`http://127.0.0.1:9464`), or undefined when `admin.listen` is empty. */
  adminUrl: string | undefined;
  /** Whether the admin API asks for `admin.token`. */
  adminToken: boolean;
  /** The stored endpoints. */
  endpoints: readonly { state: string; groupId: string }[];
  /** `connectionInfo.period`, s. */
  periodSeconds: number;
  /** The `--config` the daemon was started with (repeated in the hints, so they act on the same database). */
  configFlag: string | undefined;
}

/** One line of guidance: the message, and its facts for a JSON reader. */
export interface GuidanceLine {
  msg: string;
  startup: Record<string, string | number | boolean | null>;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** The guidance lines, in the order they are logged. */
export function startupGuidance(input: GuidanceInput): GuidanceLine[] {
  const lines: GuidanceLine[] = [];
  if (input.adminUrl) {
    const url = `${input.adminUrl}/`;
    const token = input.adminToken ? ' (admin.token required)' : '';
    lines.push({ msg: `console: ${url}${token}; metrics: ${input.adminUrl}/metrics`, startup: { consoleUrl: url } });
  } else {
    lines.push({ msg: 'console: off (admin.listen is empty): no console, metrics or health checks', startup: { consoleUrl: null } });
  }
  const endpoints = input.endpoints.length;
  const activated = input.endpoints.filter((e) => e.state === 'ACTIVATED').length;
  const groups = new Set(input.endpoints.map((e) => e.groupId)).size;
  const period = `the connection task runs every ${input.periodSeconds} s (connectionInfo.period)`;
  const counts = `${plural(endpoints, 'endpoint')}${endpoints > activated ? ` (${activated} activated)` : ''} in ${plural(groups, 'server group')}`;
  lines.push({ msg: `${counts}; ${period}`, startup: { endpoints, activated, groups, connectionPeriodSeconds: input.periodSeconds } });
  const config = input.configFlag ? ` --config ${input.configFlag}` : '';
  if (endpoints === 0) {
    const hint = `nbwss endpoints add${config} --file endpoint.json`;
    lines.push({ msg: `no endpoints yet: ${hint} (the endpoint JSON your cloud application gives; docs/endpoints.md); the whole loop without a cloud: nbwss demo`, startup: { hint } });
  } else if (activated === 0) {
    const hint = `nbwss endpoints activate${config} HOST`;
    lines.push({ msg: `no endpoint is activated, so nothing is connected: ${hint} (nbwss endpoints list${config} shows them)`, startup: { hint } });
  }
  return lines;
}
