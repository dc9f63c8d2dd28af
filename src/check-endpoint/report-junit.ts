import { create } from 'xmlbuilder2';
import type { CheckReport, CheckResult } from './types.js';

/**
 * The report as JUnit XML, the format CI systems render (GitLab, Jenkins, GitHub actions that publish test
 * results): `<testsuites>` for the run, one `<testsuite>` per spec section, one `<testcase>` per check. A failed
 * check has a `<failure>` (message: what was seen; body: seen and expected); a skipped one `<skipped>`; a warning
 * passes with its text in `<system-out>` starting `WARNING:` (JUnit has no warning status). Written with
 * xmlbuilder2, which escapes every value and replaces characters XML 1.0 cannot carry.
 */
export function formatJunitReport(report: CheckReport): string {
  const count = (checks: CheckResult[], status: CheckResult['status']) => String(checks.filter((c) => c.status === status).length);
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const root = create({ version: '1.0', encoding: 'UTF-8', invalidCharReplacement: '\uFFFD' }).ele('testsuites', {
    name: `nbwss check-endpoint ${report.endpoint.hostName}`,
    tests: String(report.checks.length),
    failures: count(report.checks, 'fail'),
    errors: '0',
    skipped: count(report.checks, 'skip'),
    time: seconds(report.durationMs),
    timestamp: report.startedAt,
  });
  const sections = [...new Set(report.checks.map((c) => c.section))];
  for (const section of sections) {
    const checks = report.checks.filter((c) => c.section === section);
    const suite = root.ele('testsuite', {
      name: section,
      tests: String(checks.length),
      failures: count(checks, 'fail'),
      errors: '0',
      skipped: count(checks, 'skip'),
      time: seconds(checks.reduce((t, c) => t + c.durationMs, 0)),
      timestamp: report.startedAt,
      hostname: report.endpoint.hostName,
    });
    const props = suite.ele('properties');
    props.ele('property', { name: 'endpoint.url', value: report.endpoint.url });
    props.ele('property', { name: 'endpoint.groupId', value: report.endpoint.groupId });
    for (const c of checks) {
      const test = suite.ele('testcase', { classname: `nbwss.check-endpoint.${c.id.split('.')[0]}`, name: `${c.id}: ${c.title}`, time: seconds(c.durationMs) });
      const [first] = c.message.split('\n');
      if (c.status === 'fail') test.ele('failure', { message: first ?? '', type: c.id }).txt(c.message);
      else if (c.status === 'skip') test.ele('skipped', { message: c.message });
      else test.ele('system-out').txt(c.status === 'warn' ? `WARNING: ${c.message}` : c.message);
    }
  }
  return `${root.end({ prettyPrint: true })}\n`;
}
