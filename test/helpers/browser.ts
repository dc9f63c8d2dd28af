import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

/**
 * Headless Chromium for the console tests (playwright-core, the system's Chromium: no browser download). The flags
 * are the ones that work in this container (no sandbox, no GPU, no background traffic).
 */

/** The Chromium binary ($NBWSS_CHROMIUM, default /usr/bin/chromium). */
export const CHROMIUM = process.env.NBWSS_CHROMIUM ?? '/usr/bin/chromium';
/** True when that binary exists. */
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Launch the browser (close it in afterAll). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

/**
 * Where a screenshot named `name` is kept: `test-artifacts/screenshots/` at the root of the repository (git-ignored;
 * CI keeps the folder as the run's artefacts), or $NBWSS_SCREENSHOT_DIR.
 */
export function screenshotPath(name: string): string {
  const dir = process.env.NBWSS_SCREENSHOT_DIR ?? fileURLToPath(new URL('../../test-artifacts/screenshots/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

/** One Chromium for the tests of a describe block: launched before them, closed after. Call it in the block. */
export function useChromium(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => browser!;
}

/**
 * A page on `url` in a fresh context of `viewport`, Playwright's waits capped at 15 s; `problems` collects every
 * script error and console error, for a test to expect none.
 */
export async function openPage(browser: Browser, url: string, viewport = { width: 1360, height: 900 }): Promise<{ page: Page; problems: string[] }> {
  const page = await (await browser.newContext({ viewport })).newPage();
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  await page.goto(url);
  return { page, problems };
}
