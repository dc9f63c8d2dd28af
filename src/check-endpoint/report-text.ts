import { SECTIONS, sectionName, type SectionKey } from '../conformance/index.js';
import type { CheckReport, CheckResult } from './types.js';

const LABEL: Record<CheckResult['status'], string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' };

/** `3 ms`, `1.2 s`. */
function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The one-line summary: `24 checks: 21 pass, 1 warn, 1 fail, 1 skip: FAILED`. */
export function summaryLine(report: CheckReport): string {
  const s = report.summary;
  const verdict = s.fail > 0 ? 'FAILED' : s.warn > 0 ? 'passed with warnings' : 'passed';
  return `${report.checks.length} checks: ${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.skip} skip: ${verdict} (${duration(report.durationMs)})`;
}

/**
 * The readable report: the endpoint, then the checks grouped by spec section (in section order), each with its
 * status, id, title and what was seen; a failure or warning also says what was expected. Ends with the summary line.
 */
export function formatTextReport(report: CheckReport): string {
  const e = report.endpoint;
  const lines = [`nbwss check-endpoint: ${e.hostName} (${e.url}, group ${e.groupId}), started ${report.startedAt}`, ''];
  const width = Math.max(...report.checks.map((c) => c.id.length));
  const order = (Object.keys(SECTIONS) as SectionKey[]).map(sectionName);
  const sections = [...new Set(report.checks.map((c) => c.section))].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  for (const section of sections) {
    lines.push(section);
    for (const c of report.checks.filter((x) => x.section === section)) {
      lines.push(`  ${LABEL[c.status]}  ${c.id.padEnd(width)}  ${c.title}${c.status === 'skip' ? '' : ` (${duration(c.durationMs)})`}`);
      const [observed, ...rest] = c.message.split('\n');
      const indent = ' '.repeat(8);
      if (c.status === 'fail' || c.status === 'warn') {
        lines.push(`${indent}observed: ${observed}`);
        for (const r of rest) lines.push(`${indent}${r.replace(/^Expected: /, 'expected: ')}`);
      } else {
        lines.push(`${indent}${[observed, ...rest].join(' ')}`);
      }
    }
    lines.push('');
  }
  lines.push(summaryLine(report));
  return `${lines.join('\n')}\n`;
}
