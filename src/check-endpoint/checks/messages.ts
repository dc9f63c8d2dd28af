import { RULES, type Problem } from '../../conformance/index.js';
import type { RunContext } from '../context.js';
import type { ReceivedFrame } from '../probe.js';
import type { Outcome } from '../types.js';
import { fail, pass, skip, warn, type CheckImpl } from './check.js';

/** Judged over every message the endpoint sent during the run: the envelope (§2) and the COMMAND REQUESTs (§4). */
export const messageChecks: CheckImpl[] = [
  { id: 'envelope.shape', needs: ['upgrade.path'], final: true, run: (ctx) => judgeRules(ctx, 'envelope.shape', ctx.frames) },
  { id: 'command.shape', needs: ['connect.valid'], final: true, run: commands },
];

/** How long the final checks wait for COMMANDs still in flight to NetBackup. */
export const COMMAND_SETTLE_MS = 5_000;

/** The problems of `frames` that belong to `checkId` (per the conformance catalogue), grouped by rule. */
function problemsFor(checkId: string, frames: readonly ReceivedFrame[]): { frame: ReceivedFrame; problem: Problem }[] {
  const out: { frame: ReceivedFrame; problem: Problem }[] = [];
  for (const frame of frames) for (const p of frame.problems) if (RULES[p.rule]?.check === checkId) out.push({ frame, problem: p });
  return out;
}

function describe(found: { frame: ReceivedFrame; problem: Problem }[]): string {
  const byRule = new Map<string, { count: number; first: { frame: ReceivedFrame; problem: Problem } }>();
  for (const f of found) {
    const entry = byRule.get(f.problem.rule);
    if (entry) entry.count++;
    else byRule.set(f.problem.rule, { count: 1, first: f });
  }
  return [...byRule.entries()]
    .map(([rule, { count, first }]) => `${rule} ×${count}, e.g. ${first.frame.kind}${first.frame.id ? ` ${first.frame.id}` : ''} on ${first.frame.connection}: ${first.problem.path}: ${first.problem.message}`)
    .join('; ');
}

async function judgeRules(ctx: RunContext, checkId: string, frames: readonly ReceivedFrame[]): Promise<Outcome> {
  if (frames.length === 0) return skip('the endpoint sent no message');
  const found = problemsFor(checkId, frames);
  const more = ctx.framesDropped > 0 ? ` (the first ${frames.length}; ${ctx.framesDropped} more not kept)` : '';
  if (found.length === 0) return pass(`${frames.length} messages from the endpoint${more}: every envelope conforms`);
  const errors = found.filter((f) => f.problem.severity === 'error');
  const text = `${found.length} problem${found.length === 1 ? '' : 's'} in ${frames.length} messages${more}: ${describe(errors.length > 0 ? errors : found)}`;
  return errors.length > 0 ? fail(text) : warn(text);
}

async function commands(ctx: RunContext): Promise<Outcome> {
  await ctx.commandsSettled(COMMAND_SETTLE_MS);
  const requests = ctx.frames.filter((f) => f.kind === 'COMMAND REQUEST');
  if (requests.length === 0) return skip('the endpoint sent no COMMAND REQUEST during the run (nothing to check)');
  const answered = new Map(ctx.commands.map((c) => [c.id, c]));
  const list = requests
    .slice(0, 8)
    .map((f) => {
      const c = f.id ? answered.get(f.id) : undefined;
      const what = `${f.command?.method ?? '?'} ${f.command?.uri ?? '?'}`;
      return c ? `${what} → ${c.status === 0 ? 'not answered (socket closed)' : c.status}` : `${what} → not answered${f.beforeConnect ? ' (before CONNECT)' : ''}`;
    })
    .join('; ');
  const summary = `${requests.length} COMMAND REQUEST${requests.length === 1 ? '' : 's'}: ${list}${requests.length > 8 ? '; …' : ''}`;
  const found = problemsFor('command.shape', requests);
  if (found.length === 0) return pass(summary);
  const errors = found.filter((f) => f.problem.severity === 'error');
  const text = `${summary}. ${found.length} problem${found.length === 1 ? '' : 's'}: ${describe(errors.length > 0 ? errors : found)}`;
  return errors.length > 0 ? fail(text) : warn(text);
}
