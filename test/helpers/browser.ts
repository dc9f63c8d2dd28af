import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

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
