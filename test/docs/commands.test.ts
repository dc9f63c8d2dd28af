import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.js';
import { buildProgram } from '../../src/cli/program.js';

/**
 * Docs match the CLI: every `nbwss …` command line in a code block of the README or a docs/ page names a command
 * that exists and only options that command (or the program, before the command) takes. A renamed flag or command
 * fails here, naming the page and the line.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PAGES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

interface DocCommand {
  where: string;
  line: string;
  tokens: string[];
}

/** Shell-like words of `line`: quotes kept together; stops at an unquoted comment, pipe, redirection or `;`/`&&`. */
function words(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else cur += ch;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
      continue;
    }
    if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    if (!inWord && (ch === '#' || ch === '|' || ch === '>' || ch === ';' || (ch === '&' && line[i + 1] === '&'))) break;
    cur += ch;
    inWord = true;
  }
  if (inWord) out.push(cur);
  return out;
}

/** The `nbwss …` lines of the fenced code blocks of `page` (a trailing `\` joins the next line). */
function docCommands(page: string): DocCommand[] {
  const lines = readFileSync(join(ROOT, page), 'utf8').split('\n');
  const found: DocCommand[] = [];
  let inBlock = false;
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*```/.test(lines[i]!)) {
      inBlock = !inBlock;
      continue;
    }
    if (!inBlock) continue;
    const m = /^\s*(?:\$ )?(?:npx (?:--yes )?)?nbwss(?: (.*))?$/.exec(lines[i]!);
    if (!m) continue;
    const start = i;
    let text = m[1] ?? '';
    while (text.endsWith('\\') && i + 1 < lines.length) text = text.slice(0, -1) + ' ' + lines[++i]!.trim();
    const tokens = words(text);
    // A line of output nbwss printed (its name followed by a colon), not a command.
    if (tokens[0]?.endsWith(':')) continue;
    found.push({ where: `${page}:${start + 1}`, line: lines[start]!.trim(), tokens });
  }
  return found;
}

/** Long and short option names of `cmd`, plus --help. */
function optionNames(cmd: Command): Set<string> {
  const names = new Set(['--help', '-h']);
  for (const o of cmd.options) {
    if (o.long) names.add(o.long);
    if (o.short) names.add(o.short);
  }
  return names;
}

let program: Command;
const full = new Map<string, Command>();

beforeAll(async () => {
  program = await buildProgram(['node', 'nbwss']);
  // Every command's module loaded (buildProgram loads only the one argv names).
  for (const entry of COMMANDS) {
    const built = await buildProgram(['node', 'nbwss', entry.name]);
    full.set(entry.name, built.commands.find((c) => c.name() === entry.name)!);
  }
});

/** What is wrong with one documented command line, or undefined. */
function problem(doc: DocCommand): string | undefined {
  const tokens = [...doc.tokens];
  const global = optionNames(program);
  global.add('--version').add('-V');
  // global options before the command
  while (tokens[0]?.startsWith('-')) {
    const t = tokens.shift()!;
    const name = t.split('=')[0]!;
    if (!global.has(name)) return `${name} is not an option of nbwss before a command`;
    if (name === '--config' || name === '-c') if (!t.includes('=')) tokens.shift();
  }
  if (tokens.length === 0) return undefined;
  let cmd = full.get(tokens[0]!);
  if (!cmd) return `no command "${tokens[0]}" (commands: ${COMMANDS.map((c) => c.name).join(', ')})`;
  tokens.shift();
  let path = cmd.name();
  if (cmd.commands.length > 0) {
    const sub = cmd.commands.find((c) => c.name() === tokens[0] || c.aliases().includes(tokens[0]!));
    if (!sub) return `"${path}" has no sub-command "${tokens[0]}" (${cmd.commands.map((c) => c.name()).join(', ')})`;
    cmd = sub;
    path += ` ${sub.name()}`;
    tokens.shift();
  }
  const own = optionNames(cmd);
  for (const t of tokens) {
    if (!/^--?[A-Za-z]/.test(t)) continue;
    const name = t.split('=')[0]!;
    if (!own.has(name) && !global.has(name)) return `nbwss ${path} has no option ${name}`;
  }
  return undefined;
}

describe('commands in the docs', () => {
  const all = PAGES.flatMap(docCommands);

  it('finds the documented command lines (the parser reads the pages)', () => {
    expect(all.length).toBeGreaterThan(40);
    expect(all.map((c) => c.tokens.slice(0, 2).join(' '))).toEqual(expect.arrayContaining(['endpoints add', 'check-endpoint --file', 'notify --object', 'config show']));
  });

  it.each(PAGES)('%s: every nbwss command line names a real command and real options', (page) => {
    const wrong = all.filter((c) => c.where.startsWith(`${page}:`)).flatMap((c) => {
      const p = problem(c);
      return p ? [`${c.where}: ${p}: ${c.line}`] : [];
    });
    expect(wrong).toEqual([]);
  });

  it('the checker itself refuses a made-up option and command', () => {
    expect(problem({ where: 'x', line: '', tokens: ['endpoints', 'add', '--no-such-flag'] })).toMatch(/has no option --no-such-flag/);
    expect(problem({ where: 'x', line: '', tokens: ['endpoint', 'add'] })).toMatch(/no command "endpoint"/);
    expect(problem({ where: 'x', line: '', tokens: ['endpoints', 'remove', 'h'] })).toMatch(/no sub-command "remove"/);
    expect(words(`notify --data '{"a": 1}' | jq . # comment`)).toEqual(['notify', '--data', '{"a": 1}']);
  });
});
