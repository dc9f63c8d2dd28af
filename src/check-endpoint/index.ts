/**
 * `nbwss check-endpoint` as a library (`import { checkEndpoint } from 'nbwss/check-endpoint'`): connect to a
 * cloud endpoint as NetBackup would, run the conformance checks, and get the JSON report.
 *
 * ```ts
 * const report = await checkEndpoint({ details, trust: { fingerprint: '3A:91:…' }, profile: 'quick' });
 * if (report.summary.fail > 0) console.log(formatTextReport(report));
 * ```
 */
export { checkEndpoint, exitCodeOf, matchChecks, timingsFrom, defaultConfig } from './runner.js';
export { formatTextReport, summaryLine } from './report-text.js';
export { CHECKS, SECTIONS, type CheckDefinition } from '../conformance/index.js';
export type { CheckEndpointOptions, CheckProgress, CheckReport, CheckResult, CheckStatus, CheckTimings, NetBackupTarget, TrustOptions } from './types.js';
