/**
 * Generates docs/CLI.md from the CLI's own commander program (src/deploy/cli/main.ts buildProgram)
 * and, for the JSON output shapes, from the TypeScript types the commands print (read with the
 * TypeScript compiler, so a renamed or changed field changes the document).
 *
 *   npm run docs:cli            rewrite docs/CLI.md
 *   npm run docs:cli -- --check exit 1 when docs/CLI.md differs from what would be generated
 *
 * test/unit/docs-cli.test.ts fails when the committed docs/CLI.md is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command, Help, Option } from 'commander';
import { buildProgram } from '../../src/deploy/cli/main.js';
import { ERROR_CODE_NAMES } from '../../src/deploy/errors.js';
import { BufferStream, type CliIO } from '../../src/deploy/output/io.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI_DOC_PATH = join(REPO_ROOT, 'docs', 'CLI.md');

/** The help width used for descriptions in the generated text (independent of the terminal). */
const HELP_WIDTH = 100;

/** A JSON output shape: the exported type (or the return type of an exported function) in a file. */
export interface ShapeSpec {
  /** When this shape is printed, e.g. "-o json". */
  when: string;
  file: string;
  symbol: string;
  /** Use the return type of the exported function `symbol`. */
  returnType?: boolean;
  /** Take the element type of an array (NDJSON lines). */
  element?: boolean;
}

/**
 * What each command prints with -o json (and -o yaml: the same data). Keys are command paths.
 * Keep in step with the command modules (the `data` they return); a symbol that no longer exists
 * makes the generator fail.
 */
export const JSON_SHAPES: Record<string, ShapeSpec[]> = {
  status: [{ when: '-o json', file: 'src/deploy/health/status-types.ts', symbol: 'StatusResult' }],
  verify: [{ when: '-o json', file: 'src/deploy/health/verify-types.ts', symbol: 'VerifyResult' }],
  logs: [
    {
      when: '--patterns -o json',
      file: 'src/deploy/commands/logs/types.ts',
      symbol: 'PatternsResult',
    },
  ],
  deploy: [
    {
      when: '-o json (the ledger record of the deploy)',
      file: 'src/deploy/ledger/record.ts',
      symbol: 'DeploymentRecord',
    },
    {
      when: '--dry-run -o json',
      file: 'src/deploy/commands/deploy/print.ts',
      symbol: 'dryRunData',
      returnType: true,
    },
  ],
  rollback: [
    {
      when: '-o json (the ledger record of the rollback)',
      file: 'src/deploy/ledger/record.ts',
      symbol: 'DeploymentRecord',
    },
  ],
  history: [{ when: '-o json', file: 'src/deploy/commands/history/run.ts', symbol: 'HistoryResult' }],
  'build-push': [
    { when: '-o json', file: 'src/deploy/commands/build-push/run.ts', symbol: 'BuildPushResult' },
  ],
  'update-manifests': [
    { when: '-o json', file: 'src/deploy/commands/update-manifests/run.ts', symbol: 'UpdateManifestsResult' },
  ],
  'apply-manifests': [
    { when: '-o json', file: 'src/deploy/commands/apply-manifests/run.ts', symbol: 'ApplyManifestsResult' },
  ],
  'render --out-dir': [
    { when: '--out-dir DIR -o json', file: 'src/deploy/commands/render/run.ts', symbol: 'WriteResult' },
  ],
  'incident open': [
    { when: '-o json', file: 'src/deploy/commands/incident/run.ts', symbol: 'IncidentOutcome' },
  ],
  'incident update': [
    { when: '-o json', file: 'src/deploy/commands/incident/run.ts', symbol: 'IncidentOutcome' },
  ],
  'incident resolve': [
    { when: '-o json', file: 'src/deploy/commands/incident/run.ts', symbol: 'IncidentOutcome' },
  ],
  'incident list': [
    { when: '-o json', file: 'src/deploy/commands/incident/run.ts', symbol: 'IncidentListResult' },
  ],
  'incident show': [
    { when: '-o json', file: 'src/deploy/commands/incident/run-report.ts', symbol: 'IncidentReport' },
  ],
  'registry-secret rotate': [
    { when: '-o json', file: 'src/deploy/commands/registry-secret/run.ts', symbol: 'RotateResult' },
  ],
  doctor: [{ when: '-o json', file: 'src/deploy/commands/doctor/run.ts', symbol: 'DoctorResult' }],
  'access review': [
    { when: '-o json', file: 'src/deploy/commands/access/run.ts', symbol: 'AccessReviewResult' },
  ],
  report: [
    {
      when: '--format json (also -o json)',
      file: 'src/deploy/commands/report/run.ts',
      symbol: 'DeploymentReport',
    },
  ],
};

/** Commands (paths) the program has, walked depth-first in registration order. */
export function walkCommands(program: Command): Array<{ path: string; command: Command }> {
  const out: Array<{ path: string; command: Command }> = [];
  const visit = (cmd: Command, prefix: string) => {
    for (const sub of cmd.commands) {
      const path = prefix ? `${prefix} ${sub.name()}` : sub.name();
      out.push({ path, command: sub });
      visit(sub, path);
    }
  };
  visit(program, '');
  return out;
}

/** A program built the way main() builds it, writing into buffers. */
export function loadProgram(): Command {
  const io: CliIO = {
    stdout: new BufferStream(false, HELP_WIDTH),
    stderr: new BufferStream(false, HELP_WIDTH),
    env: {},
  };
  const program = buildProgram(io);
  const fixWidth = (cmd: Command) => {
    cmd.configureHelp({ helpWidth: HELP_WIDTH });
    for (const sub of cmd.commands) fixWidth(sub);
  };
  fixWidth(program);
  return program;
}

/** The text a command's addHelpText('before'|'after') adds to its --help. */
function helpText(command: Command, event: 'beforeHelp' | 'afterHelp'): string {
  let text = '';
  // commander's Command is an EventEmitter at run time; addHelpText registers these listeners.
  (command as unknown as import('node:events').EventEmitter).emit(event, {
    error: false,
    command,
    write: (s: string) => {
      text += s;
      return true;
    },
  });
  return text.replace(/^\n+/, '').replace(/\s+$/, '');
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
const code = (s: string) => (s.includes('`') ? `\`\` ${s} \`\`` : `\`${s}\``);
/** A code span inside a table cell: GitHub splits cells at `|` even inside code spans unless escaped. */
const codeCell = (s: string) => code(s).replace(/\|/g, '\\|');

function optionRows(help: Help, options: readonly Option[]): string[] {
  const rows = ['| option | meaning |', '|---|---|'];
  for (const o of options) {
    if (o.hidden) continue;
    rows.push(`| ${codeCell(help.optionTerm(o))} | ${cell(help.optionDescription(o))} |`);
  }
  return rows;
}

function anchor(path: string): string {
  return path.replace(/\s+/g, '-');
}

// ---- JSON shapes through the TypeScript compiler -------------------------------------------

type TS = typeof import('typescript');

/** Render the named types as TypeScript-like shapes, each referenced interface printed once. */
export async function renderShapes(specs: ShapeSpec[]): Promise<Map<ShapeSpec, string>> {
  const ts: TS = (await import('typescript')).default;
  const files = [...new Set(specs.map((s) => join(REPO_ROOT, s.file)))];
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const out = new Map<ShapeSpec, string>();
  for (const spec of specs) {
    const sf = program.getSourceFile(join(REPO_ROOT, spec.file));
    if (!sf) throw new Error(`docs:cli: cannot read ${spec.file}`);
    const moduleSymbol = checker.getSymbolAtLocation(sf);
    const symbol =
      moduleSymbol && checker.getExportsOfModule(moduleSymbol).find((s) => s.name === spec.symbol);
    if (!symbol)
      throw new Error(`docs:cli: ${spec.file} no longer exports ${spec.symbol}; update JSON_SHAPES`);
    let type: import('typescript').Type;
    if (spec.returnType) {
      const fnType = checker.getTypeOfSymbolAtLocation(symbol, sf);
      const sig = fnType.getCallSignatures()[0];
      if (!sig) throw new Error(`docs:cli: ${spec.symbol} in ${spec.file} is not a function`);
      type = checker.getReturnTypeOfSignature(sig);
    } else {
      type = checker.getDeclaredTypeOfSymbol(symbol);
    }
    if (spec.element) type = checker.getIndexTypeOfType(type, ts.IndexKind.Number) ?? type;
    out.set(spec, new ShapePrinter(ts, checker).print(spec.returnType ? 'result' : spec.symbol, type));
  }
  return out;
}

class ShapePrinter {
  private readonly named = new Map<string, import('typescript').Type>();
  private readonly printed = new Set<string>();

  constructor(
    private readonly ts: TS,
    private readonly checker: import('typescript').TypeChecker,
  ) {}

  print(rootName: string, root: import('typescript').Type): string {
    const blocks: string[] = [`${rootName} ${this.object(root, 0, true)}`];
    this.printed.add(rootName);
    for (;;) {
      const next = [...this.named.entries()].find(([n]) => !this.printed.has(n));
      if (!next) break;
      this.printed.add(next[0]);
      blocks.push(`${next[0]} ${this.object(next[1], 0, true)}`);
    }
    return blocks.join('\n\n');
  }

  /** An interface declared in this repository (printed by name, once). */
  private repoInterfaceName(type: import('typescript').Type): string | undefined {
    const sym = type.aliasSymbol ?? type.getSymbol();
    if (!sym) return undefined;
    const decl = sym.declarations?.[0];
    if (!decl) return undefined;
    const file = decl.getSourceFile().fileName;
    if (file.includes('node_modules') || !file.startsWith(REPO_ROOT)) return undefined;
    if (!this.ts.isInterfaceDeclaration(decl)) return undefined;
    if ((type as { typeArguments?: unknown[] }).typeArguments?.length) return undefined;
    return sym.name;
  }

  private isPlainObject(type: import('typescript').Type): boolean {
    const ts = this.ts;
    if (!(type.flags & ts.TypeFlags.Object)) return false;
    if (this.checker.isArrayType(type) || this.checker.isTupleType(type)) return false;
    if (type.getCallSignatures().length > 0) return false;
    const sym = type.getSymbol();
    const file = sym?.declarations?.[0]?.getSourceFile().fileName ?? '';
    if (sym?.name === 'Date') return false;
    if (file.includes('node_modules/typescript/lib')) return false;
    return true;
  }

  private type(type: import('typescript').Type, depth: number): string {
    const ts = this.ts;
    const checker = this.checker;
    if (type.isUnion()) {
      const parts = type.types.map((t) => this.type(t, depth));
      // `boolean` arrives as `false | true`.
      const uniq = [...new Set(parts)];
      const fold = uniq.includes('false') && uniq.includes('true');
      return (fold ? ['boolean', ...uniq.filter((p) => p !== 'false' && p !== 'true')] : uniq).join(' | ');
    }
    if (checker.isTupleType(type)) return this.tuple(type as import('typescript').TypeReference, depth);
    if (checker.isArrayType(type)) {
      const el = checker.getTypeArguments(type as import('typescript').TypeReference)[0];
      const inner = el ? this.type(el, depth) : 'unknown';
      return /[ |]/.test(inner) && !inner.startsWith('{') ? `Array<${inner}>` : `${inner}[]`;
    }
    if (type.getSymbol()?.name === 'Date') return 'string (ISO 8601)';
    if (this.isPlainObject(type)) {
      const name = this.repoInterfaceName(type);
      if (name) {
        this.named.set(name, type);
        return name;
      }
      return this.object(type, depth, false);
    }
    if (type.flags & ts.TypeFlags.Any) return 'any';
    return checker.typeToString(type, undefined, ts.TypeFormatFlags.NoTruncation);
  }

  /**
   * A tuple of objects (a constant table such as the DORA bands) as one list of a merged object:
   * each field's types from every element, long string literals widened to `string`.
   */
  private tuple(type: import('typescript').TypeReference, depth: number): string {
    const ts = this.ts;
    const checker = this.checker;
    const elements = checker.getTypeArguments(type);
    if (elements.length === 0 || !elements.every((e) => this.isPlainObject(e))) {
      return `[${elements.map((e) => this.type(e, depth)).join(', ')}]`;
    }
    const fields = new Map<string, Set<string>>();
    for (const el of elements) {
      for (const prop of checker.getPropertiesOfType(el)) {
        const decl = prop.valueDeclaration ?? prop.declarations?.[0];
        const t = decl ? checker.getTypeOfSymbolAtLocation(prop, decl) : checker.getTypeOfSymbol(prop);
        const text =
          t.isStringLiteral() && t.value.length > 12
            ? 'string'
            : t.flags & ts.TypeFlags.NumberLiteral
              ? 'number'
              : this.type(t, depth + 1);
        const set = fields.get(prop.name) ?? new Set<string>();
        set.add(text);
        fields.set(prop.name, set);
      }
    }
    const pad = '  '.repeat(depth + 1);
    const lines = [...fields].map(([name, types]) => {
      const list = types.has('string') ? [...types].filter((t) => !t.startsWith('"')) : [...types];
      return `${pad}${name}: ${list.join(' | ')}`;
    });
    return `{\n${lines.join('\n')}\n${'  '.repeat(depth)}}[]`;
  }

  private object(type: import('typescript').Type, depth: number, _top: boolean): string {
    const checker = this.checker;
    const ts = this.ts;
    if (depth > 6) return '{ … }';
    const pad = '  '.repeat(depth + 1);
    const lines: string[] = [];
    for (const prop of checker.getPropertiesOfType(type)) {
      const decl = prop.valueDeclaration ?? prop.declarations?.[0];
      const propType = decl ? checker.getTypeOfSymbolAtLocation(prop, decl) : checker.getTypeOfSymbol(prop);
      const optional = (prop.flags & ts.SymbolFlags.Optional) !== 0;
      let t = this.type(optional ? checker.getNonNullableType(propType) : propType, depth + 1);
      if (
        optional &&
        (propType.flags & ts.TypeFlags.Null ||
          (propType.isUnion() && propType.types.some((m) => m.flags & ts.TypeFlags.Null)))
      )
        t = `${t} | null`;
      if (t === 'undefined') continue;
      const doc = ts.displayPartsToString(prop.getDocumentationComment(checker)).replace(/\s+/g, ' ').trim();
      lines.push(`${pad}${prop.name}${optional ? '?' : ''}: ${t}${doc ? `  // ${doc}` : ''}`);
    }
    const index = checker.getIndexTypeOfType(type, ts.IndexKind.String);
    if (index) lines.push(`${pad}[key: string]: ${this.type(index, depth + 1)}`);
    if (lines.length === 0) return '{}';
    return `{\n${lines.join('\n')}\n${'  '.repeat(depth)}}`;
  }
}

// ---- the document --------------------------------------------------------------------------

export async function generateCliDocs(): Promise<string> {
  const program = loadProgram();
  const help = program.createHelp();
  help.helpWidth = HELP_WIDTH;
  const commands = walkCommands(program);
  const allSpecs = Object.values(JSON_SHAPES).flat();
  const shapes = await renderShapes(allSpecs);
  for (const key of Object.keys(JSON_SHAPES)) {
    const commandPath = key.replace(/ --.*$/, '');
    if (!commands.some((c) => c.path === commandPath)) {
      throw new Error(`docs:cli: JSON_SHAPES names "${key}", but the CLI has no command "${commandPath}"`);
    }
  }

  const out: string[] = [];
  out.push(
    '# mobius-deploy command reference',
    '',
    "<!-- GENERATED by test/support/cli-docs.ts from the CLI's own commander program and the",
    '     TypeScript result types. Do not edit by hand: run `npm run docs:cli`. -->',
    '',
    'Run it as `node cli/mobius-deploy.js <command> [options]` from a checkout (after `npm ci`, which',
    'builds nothing by itself: run `npm run build` or `npm start` once), or as `mobius-deploy` when the',
    'package is installed. Every command also answers `--help`. Global options go before or after the',
    'command name: `mobius-deploy -n production status` and `mobius-deploy status -n production` are the same.',
    '',
    '## Contents',
    '',
    '- [Global options](#global-options)',
    '- [Exit codes](#exit-codes)',
    '- [Output formats](#output-formats)',
  );
  for (const { path } of commands)
    out.push(`${'  '.repeat(path.split(' ').length - 1)}- [${path}](#${anchor(path)})`);
  out.push('', '## Global options', '', program.description(), '', ...optionRows(help, program.options), '');
  out.push(
    "Namespace precedence, like kubectl's: `-n/--namespace`, then the `namespace` of `-e/--env`'s environment",
    'file, then `$MOBIUS_NAMESPACE`, then the `namespace:` of the kubeconfig context in use, then `preview-worker`.',
    '`doctor` (its namespace check) and `-v` (a `debug:` line) say which one won, e.g. `namespace production',
    '(from the kubeconfig context kind-prod)`. A namespace that does not exist is exit 5 with `Namespace NS',
    'does not exist in this cluster.` in every command that reads one; `doctor` lists it as its failed',
    'namespace check (exit 1). The kubeconfig is found like kubectl finds it: `--kubeconfig`, `$KUBECONFIG`,',
    '`~/.kube/config`, then the in-cluster service account.',
    '',
    'Hints and next steps name the CLI the way it was started: `node cli/mobius-deploy.js …` in a checkout',
    '(the path as seen from the current directory), `mobius-deploy …` as the installed bin. JSON and YAML',
    'output always say `mobius-deploy`, so their text does not depend on how the CLI was started.',
    '',
    '## Exit codes',
    '',
    'The same for every command (from `mobius-deploy --help`):',
    '',
    '| code | meaning |',
    '|---|---|',
  );
  const programAfter = helpText(program, 'afterHelp');
  const exitBlock = programAfter.split(/\n\s*\n/).find((b) => b.startsWith('Exit codes:')) ?? '';
  for (const line of exitBlock.split('\n').slice(1)) {
    const m = /^\s*(\d)\s+(.*)$/.exec(line);
    if (m) out.push(`| ${m[1]} | ${cell(m[2] ?? '')} |`);
  }
  out.push(
    '',
    "A command's own help may narrow these (for example which failures of `deploy` give 3 and which 4);",
    'those notes are quoted under each command below.',
    '',
    '## Output formats',
    '',
    "`-o table` (the default) prints text for people; `-o json` and `-o yaml` print the command's result",
    'as data (the same object in both). `-q` suppresses the table but never the `-o json|yaml` data.',
    '',
    '### Errors with `-o json|yaml`',
    '',
    'When a command fails, stderr keeps the human `Error:` and `Hint:` lines, and stdout gets exactly one',
    'document for scripts, the error object (`hint` is null when there is none):',
    '',
    '```json',
    '{"error": {"code": "NamespaceNotFound", "exitCode": 5, "message": "Namespace nope does not exist in this cluster.", "hint": "Chosen: namespace nope (from -n/--namespace). Check -n/--namespace ..."}}',
    '```',
    '',
    `\`code\` is a stable name per kind of failure: ${ERROR_CODE_NAMES.map((c) => `\`${c}\``).join(', ')}`,
    '(`Failed`: another expected failure, such as an image build; `Internal`: an unexpected error, exit 1).',
    '`exitCode` is the exit code the command exits with. A command that prints its result and then fails',
    '(`deploy` exit 3 or 4, `rollback` exit 4) prints that result with an `error` member added, so',
    '`jq .result` and `jq .error.code` both work on the one document. Usage errors (an unknown option, a',
    'bad value) give the error object too, with code `Usage`.',
    '',
    'The shapes below are written in TypeScript notation: `name?:` is a field that may be absent,',
    "`A | B` either, `T[]` a list; `// …` is the field's documentation from the source.",
    '',
  );

  for (const { path, command } of commands) {
    out.push(`## ${path}`, '');
    const desc = command.description();
    if (desc) out.push(desc, '');
    out.push('```', `mobius-deploy ${help.commandUsage(command).replace(/^mobius-deploy /, '')}`, '```', '');
    const args = command.registeredArguments;
    if (args.length) {
      out.push('| argument | meaning |', '|---|---|');
      for (const a of args)
        out.push(`| ${codeCell(help.argumentTerm(a))} | ${cell(help.argumentDescription(a))} |`);
      out.push('');
    }
    const visible = command.options.filter((o) => !o.hidden);
    if (visible.length) out.push(...optionRows(help, visible), '');
    if (command.commands.length) {
      out.push('Subcommands:', '');
      for (const sub of command.commands)
        out.push(
          `- [\`${path} ${sub.name()}\`](#${anchor(`${path} ${sub.name()}`)}): ${sub.summary() || sub.description()}`,
        );
      out.push('');
    }
    const before = helpText(command, 'beforeHelp');
    const after = helpText(command, 'afterHelp');
    if (before || after) {
      out.push('From `--help`:', '', '```text', ...[before, after].filter(Boolean), '```', '');
    }
    for (const [key, specs] of Object.entries(JSON_SHAPES)) {
      if (key.replace(/ --.*$/, '') !== path) continue;
      for (const spec of specs) {
        const source = spec.returnType ? `the return type of \`${spec.symbol}\`` : `\`${spec.symbol}\``;
        out.push(
          `JSON output (\`${spec.when}\`): ${source} in [${spec.file}](../${spec.file})`,
          '',
          '```ts',
          shapes.get(spec) ?? '',
          '```',
          '',
        );
      }
    }
  }
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

async function cli(argv: string[]): Promise<number> {
  const text = await generateCliDocs();
  const rel = relative(process.cwd(), CLI_DOC_PATH) || CLI_DOC_PATH;
  if (argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(CLI_DOC_PATH, 'utf8');
    } catch {
      /* missing: stale */
    }
    if (current === text) {
      process.stdout.write(`${rel} is up to date\n`);
      return 0;
    }
    process.stderr.write(`${rel} is out of date: run \`npm run docs:cli\`\n`);
    return 1;
  }
  if (argv.includes('--stdout')) {
    process.stdout.write(text);
    return 0;
  }
  writeFileSync(CLI_DOC_PATH, text);
  process.stdout.write(`wrote ${rel}\n`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  cli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
