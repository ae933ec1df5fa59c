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

import { MASK_NUM, WILDCARD } from './log-mask.js';
import { isClosePunct, isOpenPunct, isUnitWord } from './log-values.js';

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

/** A unit word (`KB`, `sec,`, `ms)`) with its punctuation around it. */
function isUnit(token: string): boolean {
  let start = 0;
  let end = token.length;
  while (start < end && isOpenPunct(token.charCodeAt(start))) start++;
  while (end > start && isClosePunct(token.charCodeAt(end - 1))) end--;
  return end - start > 0 && end - start <= 7 && isUnitWord(token.slice(start, end));
}

/** A token ending in a number mask, but for its closing punctuation (`<NUM>`, `(<NUM>`, `<<NUM>`). */
function endsInNumber(token: string): boolean {
  let end = token.length;
  while (end > 0 && isClosePunct(token.charCodeAt(end - 1))) end--;
  return token.endsWith(MASK_NUM, end);
}

/** The grouping values of a token sequence: groupValue of each, a unit after a number a variable. */
function groupValues(tokens: readonly string[]): string[] {
  const out = new Array<string>(tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    out[i] = i > 0 && isUnit(t) && endsInNumber(tokens[i - 1]) ? VAR : groupValue(t);
  }
  return out;
}

function maskedValue(token: string): string {
  const key = token.replace(MASK_RUN, WILDCARD);
  if (key === token) return token;
  // key=<MASK>: the key is a constant; onExtend:<NUM>: so is the text around the mask; a mask
  // with only punctuation around it ((<ID>), <NUM>.<NUM>) is a variable.
  return LETTER.test(key.split(WILDCARD).join('')) ? key : VAR;
}

/** A template's constant words (see constantWords): `key` names them, `positions` are their places. */
export interface ConstantWords {
  key: string;
  positions: number[];
}

/** One group of partition: the shapes of one template, and its constant words (undefined: too few). */
export interface PartGroup<S extends PartShape> {
  shapes: S[];
  words: ConstantWords | undefined;
}

/** Split `shapes` (one level, one token count) into groups, each one template. */
export function partition<S extends PartShape>(shapes: S[]): Array<PartGroup<S>> {
  const out: Array<PartGroup<S>> = [];
  if (shapes.length === 0) return out;
  const n = shapes[0].tokens.length;
  const values: string[][] = shapes.map((s) => groupValues(s.tokens));
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

  /** A group is one template: its shapes, and its constant words from the values read above. */
  function finish(group: number[]): void {
    out.push({ shapes: group.map((g) => shapes[g]), words: constantWords(group.map((g) => values[g])) });
  }

  function split(group: number[], fixed: Uint8Array): void {
    if (group.length === 1) {
      finish(group);
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
      finish(group);
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

/**
 * The constant words of a group (the positions where every shape has the same word, no mask), in
 * order: two groups of different token counts with the same constant words are one event whose
 * variables took more or fewer tokens (`0 bytes sent` and `1190 bytes (1.16 KB) sent`, `lifetime
 * 00:01` and `lifetime <1 sec`). Undefined for a group of fewer than MIN_WORDS constant words, too
 * few to name an event by themselves.
 */
function constantWords(values: readonly string[][]): ConstantWords | undefined {
  const [head, ...rest] = values;
  const positions: number[] = [];
  for (let i = 0; i < head.length; i++) {
    const v = head[i];
    if (v === VAR || (v.includes(WILDCARD) && !isKeyValue(v))) continue;
    if (rest.every((r) => r[i] === v)) positions.push(i);
  }
  if (positions.length < MIN_WORDS) return undefined;
  return { key: positions.map((i) => head[i]).join('\u0001'), positions };
}

/** `key=<*>`: a key is a constant word, whatever its value. */
function isKeyValue(v: string): boolean {
  const eq = v.indexOf('=');
  return eq > 0 && eq < v.indexOf(WILDCARD);
}

/**
 * The template text of groups merged by their constant words: each constant, and between two
 * constants the members' text where they all agree, else one variable.
 */
export function mergedTemplateTokens(
  members: ReadonlyArray<{ tokens: readonly string[]; positions: number[] }>,
): string[] {
  const out: string[] = [];
  const gaps = members[0].positions.length + 1;
  for (let k = 0; k < gaps; k++) {
    let text: string | undefined;
    let same = true;
    for (const m of members) {
      const from = k === 0 ? 0 : m.positions[k - 1] + 1;
      const to = k === m.positions.length ? m.tokens.length : m.positions[k];
      const gap = m.tokens.slice(from, to).join(' ');
      if (text === undefined) text = gap;
      else if (gap !== text) same = false;
    }
    if (same && text) out.push(text);
    else if (!same) out.push(WILDCARD);
    if (k < gaps - 1) out.push(members[0].tokens[members[0].positions[k]]);
  }
  return out;
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
  // The punctuation all share stays around the variable: `B,` and `KB,` read `<*>,`.
  return punctuationOf(group, i, true) + WILDCARD + punctuationOf(group, i, false);
}

/** The opening (or closing) punctuation every token at `i` has. */
function punctuationOf(group: readonly PartShape[], i: number, opening: boolean): string {
  const first = group[0].tokens[i];
  let n = 0;
  const isPunct = opening ? isOpenPunct : isClosePunct;
  while (n < first.length && isPunct(first.charCodeAt(opening ? n : first.length - 1 - n))) n++;
  let common = opening ? first.slice(0, n) : first.slice(first.length - n);
  for (const s of group) {
    const t = s.tokens[i];
    while (
      common !== '' &&
      !(t.length > common.length && (opening ? t.startsWith(common) : t.endsWith(common)))
    )
      common = opening ? common.slice(0, -1) : common.slice(1);
  }
  return common;
}
