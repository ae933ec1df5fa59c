/**
 * Finds every `node cli/mobius-deploy.js …` / `mobius-deploy …` command line (and the scripts/ wrappers
 * verify-deployment, deploy-preview-worker and build-and-push, .sh and .ps1) and every `npm run X`
 * written in the project's documents and checks them against the real CLI program (its commander
 * commands and options) and package.json's scripts. Used by test/unit/docs-commands.test.ts.
 *
 * Where a command is looked for:
 *   - Markdown: every line of a fenced code block, and every inline `code span` in prose.
 *   - YAML (GitHub workflows): every line.
 * A command counts only where a shell would run it: at the start of a line or after `|`, `&&`,
 * `||`, `;`, `$(`, a `$ ` prompt, `VAR=value` assignments, or `node`/`npx`/`exec`/`time`.
 * Lines ending in `\` are joined with the next line.
 */
import type { Command, Option } from 'commander';

export interface DocProblem {
  file: string;
  line: number;
  message: string;
  text: string;
}

export interface FoundCommand {
  file: string;
  line: number;
  text: string;
  args: string[];
}

// ---- tokenising ------------------------------------------------------------------------------

type Token = { kind: 'word'; value: string; quoted: boolean } | { kind: 'op'; value: string };

/** A small POSIX-shell-like tokenizer: quotes, escapes, operators, comments. Never throws. */
export function tokenize(line: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let word = '';
  let inWord = false;
  let quoted = false;
  const flush = () => {
    if (inWord) out.push({ kind: 'word', value: word, quoted });
    word = '';
    inWord = false;
    quoted = false;
  };
  while (i < line.length) {
    const ch = line[i] as string;
    const two = line.slice(i, i + 2);
    if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      word += end < 0 ? line.slice(i + 1) : line.slice(i + 1, end);
      inWord = true;
      quoted = true;
      i = end < 0 ? line.length : end + 1;
      continue;
    }
    if (ch === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') {
        if (line[j] === '\\' && j + 1 < line.length) j++;
        word += line[j];
        j++;
      }
      inWord = true;
      quoted = true;
      i = j + 1;
      continue;
    }
    if (ch === '\\' && i + 1 < line.length) {
      word += line[i + 1];
      inWord = true;
      i += 2;
      continue;
    }
    if (ch === ' ' || ch === '\t') {
      flush();
      i++;
      continue;
    }
    if (ch === '#' && !inWord) break; // comment
    const placeholder =
      ch === '<' ? /^<[A-Za-z0-9._:/-](?:[A-Za-z0-9._:/ -]*[A-Za-z0-9._:/-])?>/.exec(line.slice(i)) : null;
    if (placeholder) {
      // `<deploy-id>`: a documentation placeholder, not a redirection
      word += placeholder[0];
      inWord = true;
      i += placeholder[0].length;
      continue;
    }
    if (two === '$(' || two === '&&' || two === '||' || two === '>>' || two === '2>' || two === '&>') {
      flush();
      out.push({ kind: 'op', value: two });
      i += 2;
      continue;
    }
    if (ch === '|' || ch === ';' || ch === ')' || ch === '`' || ch === '>' || ch === '<' || ch === '&') {
      flush();
      out.push({ kind: 'op', value: ch });
      i++;
      continue;
    }
    word += ch;
    inWord = true;
    i++;
  }
  flush();
  return out;
}

const SEGMENT_BREAK = new Set(['|', '||', '&&', ';', '$(', ')', '`', '&']);
const REDIRECT = new Set(['>', '>>', '<', '2>', '&>']);
const PREFIX_WORDS = new Set(['$', 'node', 'npx', 'exec', 'time', 'sudo', 'env', '-']);

/** The wrappers in scripts/ pass every argument to one command (scripts/*.sh and their .ps1 twins). */
const WRAPPERS: Record<string, string> = {
  'verify-deployment': 'verify',
  'deploy-preview-worker': 'deploy',
  'build-and-push': 'build-push',
};

/** The command words a CLI word stands for: [] for the CLI itself, undefined for another program. */
function cliWord(w: string): string[] | undefined {
  if (w === 'mobius-deploy' || /(^|[/\\])mobius-deploy\.js$/.test(w)) return [];
  const m = /(?:^|[/\\])scripts[/\\]([a-z-]+)\.(?:sh|ps1)$/.exec(w);
  const command = m ? WRAPPERS[m[1] as string] : undefined;
  return command ? [command] : undefined;
}

/** The argument lists of every mobius-deploy invocation on one (joined) shell line. */
export function invocationsIn(line: string): string[][] {
  const tokens = tokenize(line);
  const result: string[][] = [];
  let i = 0;
  let atStart = true;
  while (i < tokens.length) {
    const t = tokens[i] as Token;
    if (t.kind === 'op') {
      if (REDIRECT.has(t.value))
        i++; // skip the file name
      else if (SEGMENT_BREAK.has(t.value)) atStart = true;
      i++;
      continue;
    }
    if (!atStart) {
      i++;
      continue;
    }
    // Command position: skip prompts, assignments and runners.
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(t.value) || PREFIX_WORDS.has(t.value) || t.value === 'run:') {
      i++;
      continue;
    }
    atStart = false;
    const prefix = cliWord(t.value);
    if (!prefix) {
      i++;
      continue;
    }
    const args: string[] = [...prefix];
    i++;
    while (i < tokens.length) {
      const a = tokens[i] as Token;
      if (a.kind === 'op') break;
      args.push(a.value);
      i++;
    }
    result.push(args);
  }
  return result;
}

// ---- extracting candidate lines from files ----------------------------------------------------

interface CandidateLine {
  line: number;
  text: string;
}

/** Joins `\`-continued lines; reports each logical line at its first physical line. */
function joinContinuations(lines: Array<{ line: number; text: string }>): CandidateLine[] {
  const out: CandidateLine[] = [];
  let current: CandidateLine | undefined;
  for (const l of lines) {
    const text = l.text.replace(/\s+$/, '');
    if (current) current.text += ` ${text.replace(/^\s+/, '')}`;
    else current = { line: l.line, text };
    if (current.text.endsWith('\\')) {
      current.text = current.text.slice(0, -1);
      continue;
    }
    out.push(current);
    current = undefined;
  }
  if (current) out.push(current);
  return out;
}

/** Shell-ish lines of a markdown file: fenced code block lines and inline code spans. */
export function markdownCandidates(content: string): CandidateLine[] {
  const lines = content.split('\n');
  const out: CandidateLine[] = [];
  let fence: string | undefined;
  let block: Array<{ line: number; text: string }> = [];
  lines.forEach((text, idx) => {
    const lineNo = idx + 1;
    const m = /^\s*(```+|~~~+)/.exec(text);
    if (m) {
      if (fence === undefined) {
        fence = m[1];
        block = [];
      } else if (text.trim().startsWith(fence as string)) {
        fence = undefined;
        out.push(...joinContinuations(block));
      }
      return;
    }
    if (fence !== undefined) {
      block.push({ line: lineNo, text });
      return;
    }
    for (const span of text.matchAll(/(`+)([^`]+?)\1/g)) {
      out.push({ line: lineNo, text: (span[2] as string).trim() });
    }
  });
  if (fence !== undefined) out.push(...joinContinuations(block));
  return out;
}

/** Every line of a YAML file (workflows), with `\` continuations joined and `run:` prefixes dropped. */
export function yamlCandidates(content: string): CandidateLine[] {
  const lines = content.split('\n').map((text, idx) => ({
    line: idx + 1,
    text: text.replace(/^\s*(-\s+)?(run|script):\s*[|>]?-?\s*/, ''),
  }));
  return joinContinuations(lines);
}

export function findCommands(file: string, content: string): FoundCommand[] {
  const candidates = /\.ya?ml$/.test(file) ? yamlCandidates(content) : markdownCandidates(content);
  const out: FoundCommand[] = [];
  for (const c of candidates) {
    if (!/mobius-deploy|scripts[/\\]/.test(c.text)) continue;
    for (const args of invocationsIn(c.text)) out.push({ file, line: c.line, text: c.text.trim(), args });
  }
  return out;
}

// ---- checking against the program -------------------------------------------------------------

/** A token a document uses as a placeholder (`<id>`, `...`, `N`): not checked as a name. */
function isPlaceholder(w: string): boolean {
  return (
    /^<.*>$/.test(w) || /^\[.*\]$/.test(w) || w === '...' || w === '…' || /^\$/.test(w) || w === 'COMMAND'
  );
}

function findOption(chain: Command[], name: string): Option | undefined {
  for (const cmd of chain) {
    const o = cmd.options.find((opt) => opt.long === name || opt.short === name);
    if (o) return o;
  }
  return undefined;
}

function commandPath(chain: Command[]): string {
  return chain
    .slice()
    .reverse()
    .map((c) => c.name())
    .join(' ');
}

/** Problems with one invocation's arguments (empty when it is valid). */
export function checkInvocation(program: Command, args: string[]): string[] {
  const problems: string[] = [];
  let chain: Command[] = [program]; // innermost first
  let positionals = 0;
  let i = 0;
  while (i < args.length) {
    const t = args[i] as string;
    const cmd = chain[0] as Command;
    if (t === '--') break;
    if (t.startsWith('-') && t.length > 1 && !/^-\d/.test(t)) {
      const eq = t.indexOf('=');
      const name = eq > 0 ? t.slice(0, eq) : t;
      if (name === '--help' || name === '-h') return problems;
      let opt = findOption(chain, name);
      if (!opt && /^-[A-Za-z]{2,}$/.test(name)) {
        // combined short flags: -qv
        const flags = [...name.slice(1)].map((c) => findOption(chain, `-${c}`));
        if (flags.every((f) => f && !f.required && !f.optional)) {
          i++;
          continue;
        }
      }
      if (!opt) {
        problems.push(`\`${commandPath(chain)}\` has no option ${name}`);
        i++;
        continue;
      }
      if (opt.required || opt.optional) {
        let value: string | undefined;
        if (eq > 0) value = t.slice(eq + 1);
        else {
          const next = args[i + 1];
          if (next !== undefined && (opt.required || !next.startsWith('-'))) {
            value = next;
            i++;
          } else if (opt.required) {
            problems.push(`option ${name} of \`${commandPath(chain)}\` needs a value`);
          }
        }
        const choices = opt.argChoices;
        if (value !== undefined && choices && !isPlaceholder(value) && !choices.includes(value)) {
          problems.push(`option ${name} does not accept "${value}" (choices: ${choices.join(', ')})`);
        }
        if (opt.variadic) {
          while (i + 1 < args.length && !(args[i + 1] as string).startsWith('-')) i++;
        }
      }
      opt = undefined;
      i++;
      continue;
    }
    // A word: a subcommand (while no positional argument was given), else a positional argument.
    if (positionals === 0 && cmd.commands.length > 0) {
      if (isPlaceholder(t)) return problems; // `mobius-deploy <command> --help`
      if (t === 'help') return problems;
      const sub = cmd.commands.find((c) => c.name() === t || c.aliases().includes(t));
      if (!sub) {
        const where = cmd === program ? 'mobius-deploy' : `\`${commandPath(chain)}\``;
        problems.push(`${where} has no command "${t}"`);
        return problems;
      }
      chain = [sub, ...chain];
      i++;
      continue;
    }
    if (/^\[.*\]$/.test(t)) {
      i++; // `[options]` in a usage line
      continue;
    }
    positionals++;
    const declared = cmd.registeredArguments;
    const variadic = declared.some((a) => a.variadic);
    if (!variadic && positionals > declared.length) {
      problems.push(
        `\`${commandPath(chain)}\` takes ${declared.length === 0 ? 'no' : `at most ${declared.length}`} argument${declared.length === 1 ? '' : 's'}, but "${t}" is given`,
      );
    }
    i++;
  }
  if (
    chain.length === 1 &&
    args.length > 0 &&
    !args.some((a) => a === '--help' || a === '-h' || a === '--version')
  ) {
    // Only global options and no command: fine for --help/--version, otherwise a usage error.
    problems.push('no command given');
  }
  return problems;
}

export function checkCommandsInFile(program: Command, file: string, content: string): DocProblem[] {
  const problems: DocProblem[] = [];
  for (const found of findCommands(file, content)) {
    for (const message of checkInvocation(program, found.args)) {
      problems.push({ file, line: found.line, message, text: found.text });
    }
  }
  return problems;
}

/** Every `npm run NAME` in a file must name a script of package.json. */
export function checkNpmRuns(file: string, content: string, scripts: Record<string, string>): DocProblem[] {
  const problems: DocProblem[] = [];
  content.split('\n').forEach((text, idx) => {
    for (const m of text.matchAll(/\bnpm\s+(?:run|run-script)\s+([A-Za-z0-9:._*-]+)/g)) {
      const name = m[1] as string;
      if (isPlaceholder(name) || name.includes('*')) continue;
      if (!(name in scripts)) {
        problems.push({
          file,
          line: idx + 1,
          message: `npm run ${name}: package.json has no script "${name}"`,
          text: text.trim(),
        });
      }
    }
  });
  return problems;
}

export function formatProblems(problems: DocProblem[]): string {
  return problems.map((p) => `${p.file}:${p.line}: ${p.message}\n    ${p.text}`).join('\n');
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to `-`. */
export function githubSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a markdown file's headings (outside code blocks). */
export function markdownAnchors(content: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of content.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = githubSlug(m[1] as string);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/**
 * Relative links of a markdown file (`[text](path#anchor)`) must point at a file that exists and,
 * for markdown targets, at a heading that exists. `read(pathFromRoot)` returns the file or undefined.
 */
export function checkLinks(
  file: string,
  content: string,
  read: (pathFromRoot: string) => string | undefined,
): DocProblem[] {
  const problems: DocProblem[] = [];
  const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '';
  let fenced = false;
  content.split('\n').forEach((text, idx) => {
    if (/^\s*(```|~~~)/.test(text)) fenced = !fenced;
    if (fenced) return;
    const prose = text.replace(/`[^`]*`/g, '');
    for (const m of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1] as string;
      if (/^[a-z]+:/i.test(target)) continue; // http:, mailto:
      const [pathPart, anchor] = target.split('#') as [string, string | undefined];
      const parts = [...(pathPart === '' ? file : `${dir ? `${dir}/` : ''}${pathPart}`).split('/')];
      const resolved: string[] = [];
      for (const p of parts) {
        if (p === '..') resolved.pop();
        else if (p !== '.' && p !== '') resolved.push(p);
      }
      const path = resolved.join('/');
      const body = read(path);
      if (body === undefined) {
        problems.push({
          file,
          line: idx + 1,
          message: `link to ${target}: ${path} does not exist`,
          text: text.trim(),
        });
        continue;
      }
      if (anchor && path.endsWith('.md') && !markdownAnchors(body).has(anchor)) {
        problems.push({
          file,
          line: idx + 1,
          message: `link to ${target}: ${path} has no heading #${anchor}`,
          text: text.trim(),
        });
      }
    }
  });
  return problems;
}
