import { describe, it } from 'vitest';

/**
 * Tests that need something this machine may lack (a pseudo-terminal, systemd-analyze, Chromium). Without it, a
 * test is skipped with a loud message on a workstation, but under any truthy `CI` it FAILS, naming what is missing:
 * CI must never pass by skipping (issue 10 F24).
 */

/** Whether `$CI` is set to anything truthy: not unset, '', '0', 'false' or 'no' (any case). */
export const IN_CI = ((v) => v !== undefined && !['', '0', 'false', 'no'].includes(v.trim().toLowerCase()))(process.env.CI);

function missing(what: string, why: string): string {
  return `${what} is not available here: ${why} (${IN_CI ? 'FAILED: CI requires it' : 'SKIPPED; under CI this fails'})`;
}

/** `it`, when `available`; else skipped with a loud message, or failing under CI. */
export function itNeeds(available: boolean, what: string, why: string): (name: string, fn: () => unknown, timeout?: number) => void {
  if (available) return (name, fn, timeout) => it(name, fn, timeout);
  const message = missing(what, why);
  if (IN_CI) return (name) => it(name, () => {
    throw new Error(message);
  });
  process.stderr.write(`\n!!! ${message}\n`);
  return (name, fn, timeout) => it.skip(name, fn, timeout);
}

/** `describe`, when `available`; else its tests are skipped with a loud message, or one failing test under CI. */
export function describeNeeds(available: boolean, what: string, why: string): (name: string, fn: () => void) => void {
  if (available) return (name, fn) => describe(name, fn);
  const message = missing(what, why);
  if (IN_CI) return (name) => describe(name, () => it(`needs ${what}`, () => {
    throw new Error(message);
  }));
  process.stderr.write(`\n!!! ${message}\n`);
  return (name, fn) => describe.skip(name, fn);
}
