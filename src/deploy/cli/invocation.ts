/**
 * The command the user actually typed, so every hint and next step can be pasted as it is:
 * `mobius-deploy` when the CLI runs as the installed bin (the npm bin link, or the package inside
 * node_modules, as npx and Windows' .cmd shims run it), `node cli/mobius-deploy.js` in a checkout
 * (the path as seen from the current directory; absolute when it is elsewhere).
 *
 * Texts are written with `mobius-deploy <command>`; `localizeInvocation` rewrites them where
 * run-command.ts prints errors, hints and tables. JSON and YAML keep `mobius-deploy`: their text
 * is stable whatever the invocation.
 */
import { basename, extname, isAbsolute, relative, sep } from 'node:path';

export const BIN_NAME = 'mobius-deploy';

/** From process.argv[1] (the script node runs) and the current directory. */
export function invocationOf(script: string | undefined, cwd: string): string {
  if (!script) return BIN_NAME;
  const ext = extname(script);
  const name = basename(script, ext);
  if (name !== BIN_NAME) return BIN_NAME; // not our entry (tests calling main() in-process)
  if (ext !== '.js' && ext !== '.cjs') return BIN_NAME; // the bin link on PATH
  if (script.split(/[\\/]/).includes('node_modules')) return BIN_NAME; // the installed package
  const rel = isAbsolute(script) ? relative(cwd, script) : script;
  const shown = rel === '' || rel.startsWith('..') || isAbsolute(rel) ? script : rel.split(sep).join('/');
  return `node ${shellWord(shown)}`;
}

/**
 * `mobius-deploy` followed by a command word or an option becomes the invocation; names that only
 * contain it (the Lease mobius-deploy-lock, the schema mobius-deploy/report@1) and a title such as
 * "mobius-deploy doctor: ..." stay. Views of records (history) are printed verbatim instead
 * (CommandOutcome.verbatim): what the CLI wrote in the cluster is data, not a hint.
 */
const COMMAND_AT = /(?<![\w./-])mobius-deploy(?= (?:<command>|--?[a-z]|[a-z][a-z-]*(?![a-z-]*:)))/g;

export function localizeInvocation(text: string, invocation: string): string {
  if (invocation === BIN_NAME) return text;
  return text.replace(COMMAND_AT, invocation);
}

/** A word as a POSIX shell reads it back: as it is when safe, else in single quotes. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The options that reach the same target as this run, for hints that name another command:
 * `-n NS`, `--ledger-dir DIR` and `--context`/`--kubeconfig` when they were given.
 */
export function targetOptions(t: {
  namespace: string;
  context?: string;
  kubeconfig?: string;
  ledgerDir?: string;
}): string {
  const words = ['-n', t.namespace];
  if (t.ledgerDir) words.push('--ledger-dir', t.ledgerDir);
  if (t.context) words.push('--context', t.context);
  if (t.kubeconfig) words.push('--kubeconfig', t.kubeconfig);
  return words.map(shellWord).join(' ');
}
