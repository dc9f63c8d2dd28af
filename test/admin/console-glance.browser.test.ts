import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { NBWSS_VERSION } from '../../src/version.js';
import { HAVE_CHROMIUM, openPage, screenshotPath, useChromium } from '../helpers/browser.js';
import { startAdminDaemon, type AdminDaemon } from './helpers.js';

/**
 * The console "at a glance" (issue 12 item 3) in headless Chromium, 900 px wide: the summary bar, per-group charts
 * drawn from the daemon's samples taken before the page was opened, certificate expiry and trust, the daemon version,
 * grouped acknowledgements in the recent events, roles and reasons after an endpoint's server stops, and no
 * horizontal scroll. Samples are taken on demand (GroupHistory.sampleNow), waits are Playwright's locators and the
 * daemon's events. Without Chromium, console.browser.test.ts reports it (skipped, or failed under CI).
 */

const WIDTH = 900;
const job = (jobId: number) => ({ jobId, parentJobId: 0, jobType: 'BACKUP', state: 'DONE', status: 0, startTime: 1, policyName: 'p', policyType: 'STANDARD', scheduleType: 'ST_FULL', clientName: 'c' });

describe.skipIf(!HAVE_CHROMIUM)('web console at a glance (browser, 900 px)', () => {
  const browser = useChromium();

  async function open(a: AdminDaemon): Promise<{ page: Page; problems: string[] }> {
    const opened = await openPage(browser(), a.base + '/', { width: WIDTH, height: 1000 });
    await opened.page.locator('#live[data-state="live"]').waitFor();
    return opened;
  }

  /** Nothing wider than the window: the page, and each table in its scroll box. */
  async function expectNoSidewaysScroll(page: Page): Promise<void> {
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(WIDTH);
    const boxes = await page.locator('.scroll').evaluateAll((els) => els.map((e) => ({ scroll: e.scrollWidth, client: e.clientWidth })));
    for (const b of boxes) expect(b.scroll).toBeLessThanOrEqual(b.client);
  }

  it('summary bar, charts from the history, certificates, version, grouped acknowledgements; roles after a stop; 900 px', async () => {
    const a = await startAdminDaemon({
      endpoints: [
        { host: '127.0.0.2', group: 'GROUPID1', priority: 1 },
        { host: '127.0.0.3', group: 'GROUPID1', priority: 2 },
        { host: '127.0.0.4', group: 'GROUPID2' },
      ],
      overrides: { 'connectionInfo.period': 0.3, 'notification.maxBatchSize': 10 },
    });
    // Load: 300 notifications for each group in batches of 10, all acknowledged before the page opens.
    const delivery = a.daemon.services.notifications.delivery;
    const acked = new Map<string, number>();
    const allAcked = new Promise<void>((resolve) => {
      const on = (e: { groupId: string; count: number }) => {
        acked.set(e.groupId, (acked.get(e.groupId) ?? 0) + e.count);
        if (acked.get('GROUPID1') === 300 && acked.get('GROUPID2') === 300) {
          delivery.off('batchAcked', on);
          resolve();
        }
      };
      delivery.on('batchAcked', on);
    });
    expect((await a.call('POST', '/api/notifications', { object: 'JOB', data: Array.from({ length: 300 }, (_, i) => job(i + 1)) })).status).toBe(202);
    await allAcked;
    a.admin.history!.sampleNow(); // the sample with the acknowledgement rate and latency

    const { page, problems } = await open(a);
    const summary = (key: string) => page.locator(`#summary [data-key="${key}"] dd`);
    await summary('groups').filter({ hasText: /^2 \/ 2$/ }).waitFor();
    expect(await summary('backlog').textContent()).toBe('0');
    expect(await summary('failing').textContent()).toBe('0');
    expect(await summary('trust').textContent()).toBe('3 pinned');
    expect(await summary('certificates').textContent()).toMatch(/^in \d+ d \(127\.0\.0\.\d\)$/);
    expect(await summary('daemon').textContent()).toMatch(new RegExp(`^nbwss ${NBWSS_VERSION.replace(/\./g, '\\.')} · up \\d+ (s|min|h|d)\\b`));
    expect(await page.locator('#endpoints tr[data-host="127.0.0.2"] [data-col="state"] .cert').textContent()).toMatch(/^pinned · certificate expires in \d+ d$/);

    // Charts drawn from the samples the daemon took before the page opened: a line in each of the group's charts.
    const g1 = page.locator('#groups article[data-group="GROUPID1"]');
    for (const key of ['backlog', 'ackRate', 'ackLatency']) await g1.locator(`[data-chart="${key}"] svg path.line`).waitFor({ state: 'attached' }); // a flat line has no height
    expect(Number(await g1.locator('[data-chart="backlog"] svg').getAttribute('data-points'))).toBeGreaterThanOrEqual(2);
    // (the highest: a sample the daemon takes by itself every 10 s may come after ours, with nothing acknowledged)
    expect(await g1.locator('[data-chart="ackRate"] svg').getAttribute('aria-label')).toMatch(/^Acknowledged of GROUPID1 over the last 15 minutes: now [\d.,]+\/s, highest [1-9][\d.,]*\/s$/);
    expect(await g1.locator('.served').textContent()).toMatch(/^served by 127\.0\.0\.2 for /);
    // the backlog is the group's: no backlog column in the endpoint rows
    expect(await page.locator('#endpoints thead th').allTextContents()).not.toContain('Backlog');

    // Under load the acknowledgements are grouped: rows of several batches, 300 notifications of GROUPID1 in all.
    const rows = page.locator('#events li[data-kind="group"]', { hasText: /^.*GROUPID1(: | 127\.0\.0\.2: )[\d,]+ notifications? acknowledged/ });
    await rows.first().waitFor();
    const texts = await rows.allTextContents();
    const total = texts.reduce((n, t) => n + Number(/([\d,]+) notifications? acknowledged/.exec(t)![1]!.replace(/,/g, '')), 0);
    expect(total).toBe(300);
    expect(texts.length).toBeLessThan(30);
    expect(texts.some((t) => /GROUPID1: [\d,]+ notifications acknowledged in the last \d+ s \(\d+ batches via 127\.0\.0\.2\)/.test(t))).toBe(true);
    await page.screenshot({ path: screenshotPath('console-glance-900.png'), fullPage: true }); // before: a failure leaves the picture
    await expectNoSidewaysScroll(page);

    // The serving endpoint's server stops: the standby serves, the stopped one is failing with the reason.
    await a.endpoints[0]!.close();
    const role = (host: string, name: string) => page.locator(`#endpoints tr[data-host="${host}"] [data-col="connection"] .role[data-role="${name}"]`);
    await role('127.0.0.3', 'serving').waitFor();
    await role('127.0.0.2', 'failing').waitFor();
    await page.locator('#endpoints tr[data-host="127.0.0.2"] .why', { hasText: 'Unable to establish connection with host: 127.0.0.2' }).waitFor();
    await page.locator('#summary [data-key="failing"][data-state="bad"] dd', { hasText: /^1$/ }).waitFor();
    await g1.locator('.served', { hasText: /^served by 127\.0\.0\.3 for / }).waitFor();
    await page.screenshot({ path: screenshotPath('console-glance-failing-900.png'), fullPage: true }); // before: a failure leaves the picture
    await expectNoSidewaysScroll(page);
    expect(problems).toEqual([]);
  });
});
