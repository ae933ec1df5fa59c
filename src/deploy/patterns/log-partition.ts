// The grouping half of the template miner (log-templates.ts collects the shapes): which distinct
// line shapes form one template.
//
// A shape is a masked token sequence (one per distinct sequence, with its line count). Shapes of
// one level and token count are split recursively by position. At each step the position that
// tells events apart best splits the group: one with a few constant values, each the constant of
// its own event (`VM Paused` / `VM Resumed`, `... initialization` / `... finalization`, `client
// SPP` / `client WindowsUpdateAgent`), positions without masked values first, then the fewest
// distinct values (the constants that tell events apart are the least varied: the frequency
// and position idea of Brain, Yu et al. 2023, and of IPLoM). A position is a variable, never
// split, when more than MAX_VAR_SHARE of the group's lines hold a masked value there. A position
// with more than FEW_VALUES distinct values is judged by what else varies in the group:
// - another open position varies too (events of one length mixed together): it may split while
//   its values are few for the group's lines (at most VALUES_PER_LINE a line; most values rare
//   means user input or host names);
// - it is the only thing that varies in a message of MIN_WORDS or more constant words (`Failed
//   password for <user> from ...`, `<job name>: scheduler told me to run this job ...`): the
//   message's words name the event, this word is its variable;
// - it is the only thing that varies in a shorter message: as its first word it names the event
//   (`cupsd startup succeeded`, `boot (command <NUM>)`); later (`removing <service>`) it is
//   judged by its values per line as above.
// A group with no position left to split is one template.
//
// Masks are wildcards here whatever their type: 00000001 a <NUM>, 0000000a a <HEX>, a host:port
// an <IP> or an <ID> are the same variable (their types only name what the variable held), and
// an empty `()` or `""` is that variable holding nothing. The constant part around a mask is a
// constant: `onExtend:<NUM>` is not `setMode:<NUM>`.

import { WILDCARD } from './log-mask.js';

export interface PartShape {
  tokens: readonly string[];
  count: number;
}

/** A position with at most this many distinct values may split a group, whatever its size. */
const FEW_VALUES = 4;
/** ... and with more, only while it has at most this many distinct values per line of the group. */
const VALUES_PER_LINE = 0.3;
/** A position where more than this share of the group's lines hold a masked value is a variable. */
const MAX_VAR_SHARE = 0.5;
/** Constant words that make a message name its event by themselves (see above). */
const MIN_WORDS = 3;

/**
 * How a many-valued position relates to the rest of its group (see the header): `mixed`, another
 * open position varies as well; `short`, only it varies, in a message of fewer than MIN_WORDS
 * constant words; `worded`, only it varies, in a message of MIN_WORDS or more constant words.
 */
type Context = 'mixed' | 'short' | 'worded';

const VAR = '\u0000';
const EMPTY = new Set(['()', '[]', '{}', '""', "''", '(),', '[],', '"",', "'',"]);
const MASK_RUN = /<[A-Z]+>/g;
const LETTER = /[A-Za-z]/;

const valueMemo = new Map<string, string>();

/** The grouping value of a token: its text with every mask a wildcard, or VAR when only a mask. */
export function groupValue(token: string): string {
  const lt = token.indexOf('<');
  if (lt < 0 || token.indexOf('>', lt) < 0) return EMPTY.has(token) ? VAR : token;
  let v = valueMemo.get(token);
  if (v === undefined) {
    v = maskedValue(token);
    if (valueMemo.size >= 50_000) valueMemo.clear();
    valueMemo.set(token, v);
  }
  return v;
}

function maskedValue(token: string): string {
  const key = token.replace(MASK_RUN, WILDCARD);
  if (key === token) return token;
  // key=<MASK>: the key is a constant; onExtend:<NUM>: so is the text around the mask; a mask
  // with only punctuation around it ((<ID>), <NUM>.<NUM>) is a variable.
  return LETTER.test(key.split(WILDCARD).join('')) ? key : VAR;
}

/** Split `shapes` (one level, one token count) into groups, each one template. */
export function partition<S extends PartShape>(shapes: S[]): S[][] {
  const out: S[][] = [];
  if (shapes.length === 0) return out;
  const n = shapes[0].tokens.length;
  const values: string[][] = shapes.map((s) => s.tokens.map(groupValue));
  split(
    shapes.map((_, i) => i),
    new Uint8Array(n),
  );
  return out;

  function contextOf(group: number[], i: number, fixed: Uint8Array): Context {
    let words = 0;
    const head = values[group[0]];
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const v = head[j];
      if (!fixed[j]) for (const g of group) if (values[g][j] !== v) return 'mixed';
      if (v !== VAR) words++;
    }
    return words < MIN_WORDS ? 'short' : 'worded';
  }

  function split(group: number[], fixed: Uint8Array): void {
    if (group.length === 1) {
      out.push([shapes[group[0]]]);
      return;
    }
    let lines = 0;
    for (const g of group) lines += shapes[g].count;
    let bestPos = -1;
    let bestRank = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      if (fixed[i]) continue;
      const seen = new Set<string>();
      let varLines = 0;
      for (const g of group) {
        const v = values[g][i];
        if (v === VAR) varLines += shapes[g].count;
        else seen.add(v);
      }
      const distinct = seen.size + (varLines > 0 ? 1 : 0);
      if (distinct < 2 || varLines > MAX_VAR_SHARE * lines) continue;
      // A one-token line is its word: it splits whatever the count.
      if (n > 1 && seen.size > FEW_VALUES) {
        const context = contextOf(group, i, fixed);
        if (context === 'worded') continue;
        const namesEvent = context === 'short' && i === 0;
        if (!namesEvent && seen.size > VALUES_PER_LINE * lines) continue;
      }
      const rank = (varLines > 0 ? n + lines : 0) + distinct;
      if (rank >= bestRank) continue;
      bestPos = i;
      bestRank = rank;
    }
    if (bestPos < 0) {
      out.push(group.map((g) => shapes[g]));
      return;
    }
    const byValue = new Map<string, number[]>();
    for (const g of group) {
      const v = values[g][bestPos];
      const list = byValue.get(v);
      if (list === undefined) byValue.set(v, [g]);
      else list.push(g);
    }
    const nextFixed = fixed.slice();
    nextFixed[bestPos] = 1;
    for (const sub of byValue.values()) split(sub, nextFixed);
  }
}

/** The template text of a group: the shown token where all agree, else the variable. */
export function templateTokens(group: readonly PartShape[]): string[] {
  const first = group[0];
  const out: string[] = new Array(first.tokens.length);
  for (let i = 0; i < out.length; i++) {
    const t = first.tokens[i];
    let same = true;
    for (const s of group) {
      if (s.tokens[i] !== t) {
        same = false;
        break;
      }
    }
    out[i] = same ? t : generalise(group, i);
  }
  return out;
}

function generalise(group: readonly PartShape[], i: number): string {
  // The same text around masks of different types: (<NUM>) and (<HEX>) read (<*>).
  const keys = new Set(group.map((s) => s.tokens[i].replace(MASK_RUN, WILDCARD)));
  if (keys.size === 1) {
    const [k] = keys;
    if (k.includes(WILDCARD)) return k;
  }
  // key=a vs key=b keeps the key: `key=<*>` reads better than a bare <*>.
  const t = group[0].tokens[i];
  const eq = t.indexOf('=');
  if (eq > 0) {
    const key = t.slice(0, eq + 1);
    if (group.every((s) => s.tokens[i].startsWith(key))) return `${key}${WILDCARD}`;
  }
  return WILDCARD;
}
