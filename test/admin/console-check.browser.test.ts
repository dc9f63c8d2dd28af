import { describe, expect, it } from 'vitest';
import { HAVE_CHROMIUM, openPage, screenshotPath, useChromium } from '../helpers/browser.js';
import { startAdminDaemon } from './helpers.js';

/**
 * The console's Check button (issue 11) in headless Chromium: the report of `POST /api/endpoints/{host}/check`
 * appears inline under the endpoint's row; Hide removes it. (console.browser.test.ts fails under CI without
 * Chromium; this one only skips.)
 */

describe.skipIf(!HAVE_CHROMIUM)('web console: Check an endpoint (browser)', () => {
  const browser = useChromium();

  it('Check shows the report under the row: TLS and upgrade pass, the rest skipped while the daemon is connected', async () => {
    const a = await startAdminDaemon({ endpoints: [{ host: '127.0.0.2', group: 'GROUPID1' }] });
    const { page, problems } = await openPage(browser(), a.base + '/');
    await page.getByRole('button', { name: 'Check 127.0.0.2' }).click();
    const report = page.locator('#endpoints tr[data-report-for="127.0.0.2"]');
    await report.locator('.report-summary', { hasText: /Check of 127\.0\.0\.2: 5 pass, 0 warn, 0 fail, \d+ skip/ }).waitFor();
    await report.locator('li[data-status="pass"]', { hasText: 'tls.certificate' }).waitFor();
    expect(await report.locator('li[data-status="skip"]').first().textContent()).toMatch(/live connection/);
    // the report row sits right under its endpoint's row
    expect(await page.locator('#endpoints tr[data-host="127.0.0.2"] + tr').getAttribute('data-report-for')).toBe('127.0.0.2');
    await page.screenshot({ path: screenshotPath('console-check.png'), fullPage: true });
    await page.getByRole('button', { name: 'Hide the check report of 127.0.0.2' }).click();
    await report.waitFor({ state: 'detached' });
    expect(problems).toEqual([]);
  });
});
