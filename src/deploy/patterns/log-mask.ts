// Tokenising and pre-masking of log messages for the template miner (log-templates.ts).
//
// Variable parts of a message are replaced by typed placeholders before mining so that lines
// differing only in ids, numbers, addresses or durations share one template:
//   <UUID> <IP> <TS> <DUR> <NUM> <HEX> <ID> <PATH> <STR>, and key=value values (key=<*> unless typed).
// A token mixing letters and digits keeps its constant parts (`blk_<NUM>`, `onExtend:<NUM>`,
// `HTTP/<NUM>.<NUM>`); a dotted name with digits (host, class) is one <ID>; a word ending in a
// short number (`ssh2`, `eth0`) is a word. Weekday and month names next to a number are <TS>.
// The grouping (log-partition.ts) reads every mask as the same wildcard: the types only name what
// a variable held. The hot path is a single character pass per token with no regular expressions.

import {
  C_DASH,
  C_DOT,
  C_DQUOTE,
  C_EQ,
  C_SQUOTE,
  classifyValue,
  isClosePunct,
  isDigit,
  isIdKey,
  isKey,
  isLetter,
  isOpenPunct,
  MASK_ID,
  MASK_IP,
  MASK_NUM,
  MASK_PATH,
  MASK_STR,
  MASK_TS,
  WILDCARD,
} from './log-values.js';

export {
  classifyValue,
  isIdKey,
  MASK_DUR,
  MASK_HEX,
  MASK_ID,
  MASK_IP,
  MASK_NUM,
  MASK_PATH,
  MASK_STR,
  MASK_TS,
  MASK_UUID,
  WILDCARD,
} from './log-values.js';

/** /var/lib/x, /v2/servers/detail, http://host/x: a path or URL (a lone "/" is not). */
function isPath(s: string, start: number, end: number): boolean {
  while (start < end && (s.charCodeAt(start) === C_SQUOTE || s.charCodeAt(start) === C_DQUOTE)) start++;
  if (s.charCodeAt(start) === 47) return end - start > 1;
  const scheme = s.indexOf('://', start);
  return scheme > start && scheme + 3 < end;
}

/** Mask one whitespace-free token; returns the token itself when nothing in it varies. */
export function maskToken(tok: string): string {
  const n = tok.length;
  let start = 0;
  let end = n;
  while (start < end && isOpenPunct(tok.charCodeAt(start))) start++;
  while (end > start && isClosePunct(tok.charCodeAt(end - 1))) end--;
  if (start === end) return tok;
  if (isPath(tok, start, end)) return tok.slice(0, start) + MASK_PATH + tok.slice(end);
  // key=value
  const eq = tok.indexOf('=', start);
  if (eq > start && eq < end && start === 0 && isKey(tok, eq)) {
    if (eq + 1 === end) return tok;
    const key = tok.slice(0, eq);
    const typed = classifyValue(tok, eq + 1, end);
    const masked = typed !== null ? typed : isIdKey(key) ? MASK_ID : WILDCARD;
    return end === n ? `${key}=${masked}` : `${key}=${masked}${tok.slice(end)}`;
  }
  let m = classifyValue(tok, start, end);
  if (m === null) return tok;
  if (m === MASK_ID) m = maskSegments(tok, start, end);
  if (start === 0 && end === n) return m;
  return tok.slice(0, start) + m + tok.slice(end);
}

/**
 * A token mixing letters and digits, masked part by part: the runs of letters and digits between
 * punctuation are masked when they hold a digit, so the constant parts stay (`onExtend:<NUM>`,
 * `blk_<NUM>`, `HTTP/<NUM>.<NUM>`, `core.<NUM>`). A word with a short number at its end (`ssh2`,
 * `SOCKS5`, `eth0`, `x86`) is a word.
 */
function maskSegments(s: string, start: number, end: number): string {
  // An IPv6 address with a port or a bracket ([fe80::aa94]:49000) is an address.
  const dc = s.indexOf('::', start);
  if (dc >= 0 && dc < end) return MASK_IP;
  // Dotted names (host names, class names) are one identifier.
  let dots = 0;
  for (let j = start; j < end; j++) if (s.charCodeAt(j) === C_DOT) dots++;
  if (dots >= 2) return MASK_ID;
  let out = '';
  let i = start;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (
      c === C_DASH &&
      i + 1 < end &&
      isDigit(s.charCodeAt(i + 1)) &&
      (i === start || (!isLetter(s.charCodeAt(i - 1)) && !isDigit(s.charCodeAt(i - 1))))
    ) {
      // a sign: blk_-42 is blk_<NUM> like blk_42
      i++;
      continue;
    }
    if (!(isLetter(c) || isDigit(c))) {
      out += s[i];
      i++;
      continue;
    }
    const segStart = i;
    let digits = 0;
    let letters = 0;
    while (i < end && (isLetter(s.charCodeAt(i)) || isDigit(s.charCodeAt(i)))) {
      if (isDigit(s.charCodeAt(i))) digits++;
      else letters++;
      i++;
    }
    if (digits === 0) {
      out += s.slice(segStart, i);
      continue;
    }
    if (letters === 0) {
      out += MASK_NUM;
      continue;
    }
    // letters then at most two digits: a word (ssh2, eth0, SOCKS5, x86)
    let k = i;
    while (k > segStart && isDigit(s.charCodeAt(k - 1))) k--;
    let lettersOnly = true;
    for (let j = segStart; j < k; j++) if (!isLetter(s.charCodeAt(j))) lettersOnly = false;
    if (lettersOnly && i - k <= 2 && k - segStart >= 2) {
      out += s.slice(segStart, i);
      continue;
    }
    out += MASK_ID;
  }
  return out;
}

/**
 * Split a message on whitespace and mask every token into `out` (cleared first).
 * A quoted value of a key (key="…" or key='…') is one token, masked as key=<STR>; a quoted string
 * elsewhere is split like the rest (`"GET /v2/… HTTP/1.1"` is three tokens, not one).
 */

const DATE_WORDS = new Set(
  'Mon Tue Wed Thu Fri Sat Sun Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April June July August September October November December'.split(
    ' ',
  ),
);

function isTimeMask(t: string | undefined): boolean {
  return t === MASK_NUM || t === MASK_TS;
}

/** Weekday and month names next to a number or a time (`Fri Jun 17 07:07:00 2005`) are part of a date. */
function maskDateWords(out: string[]): void {
  for (let i = 0; i < out.length; i++) {
    const t = out[i];
    const c = t.charCodeAt(0);
    if (t.length < 3 || t.length > 9 || c < 65 || c > 90 || !DATE_WORDS.has(t)) continue;
    if (
      isTimeMask(out[i + 1]) ||
      isTimeMask(out[i - 1]) ||
      (DATE_WORDS.has(out[i + 1] ?? '') && isTimeMask(out[i + 2]))
    ) {
      out[i] = MASK_TS;
    }
  }
}
/**
 * Masked forms of recent tokens, kept by the caller (one per miner): most tokens of a log are its
 * constant words, seen again and again, so each distinct token is masked once. An open-addressing
 * table keyed by a hash of the token's characters, taken while the tokenizer scans them: a token
 * seen before is found without cutting it out of its line. Bounded: SLOTS entries of at most 64
 * characters (a longer token is masked every time); a table that fills up starts afresh.
 */
export class TokenMemo {
  private static readonly SLOTS = 1 << 16;
  private readonly hashes = new Int32Array(TokenMemo.SLOTS);
  private readonly keys: Array<string | undefined> = new Array(TokenMemo.SLOTS).fill(undefined);
  private readonly values: string[] = new Array(TokenMemo.SLOTS).fill('');
  private used = 0;

  /** The masked form of msg[start, end); `hash` is the FNV-1a hash tokenizeAndMask took of it. */
  mask(msg: string, start: number, end: number, hash: number): string {
    const len = end - start;
    if (len > 64) return maskToken(msg.slice(start, end));
    const mask = TokenMemo.SLOTS - 1;
    let slot = hash & mask;
    for (;;) {
      const key = this.keys[slot];
      if (key === undefined) break;
      if (this.hashes[slot] === hash && key.length === len && msg.startsWith(key, start))
        return this.values[slot];
      slot = (slot + 1) & mask;
    }
    const tok = msg.slice(start, end);
    const masked = maskToken(tok);
    if (this.used >= (TokenMemo.SLOTS * 3) >> 2) {
      this.keys.fill(undefined);
      this.used = 0;
      slot = hash & mask;
    }
    this.keys[slot] = tok;
    this.hashes[slot] = hash;
    this.values[slot] = masked;
    this.used++;
    return masked;
  }
}

export function tokenizeAndMask(msg: string, out: string[], memo?: TokenMemo): string[] {
  out.length = 0;
  const n = msg.length;
  let i = 0;
  while (i < n) {
    while (i < n && msg.charCodeAt(i) <= 32) i++;
    if (i >= n) break;
    const start = i;
    let quoteStart = -1;
    let quoteEnd = -1;
    let hash = 0;
    while (i < n) {
      const c = msg.charCodeAt(i);
      if (c <= 32) break;
      hash = Math.imul(hash ^ c, 0x01000193);
      if (
        (c === C_DQUOTE || c === C_SQUOTE) &&
        quoteStart < 0 &&
        i > start &&
        msg.charCodeAt(i - 1) === C_EQ
      ) {
        const close = msg.indexOf(c === C_DQUOTE ? '"' : "'", i + 1);
        if (close > i) {
          const after = close + 1 < n ? msg.charCodeAt(close + 1) : 32;
          if (after <= 32 || isClosePunct(after)) {
            quoteStart = i;
            quoteEnd = close;
            i = close + 1;
            continue;
          }
        }
      }
      i++;
    }
    if (quoteStart < 0) {
      out.push(memo === undefined ? maskToken(msg.slice(start, i)) : memo.mask(msg, start, i, hash));
    } else {
      const before = msg.slice(start, quoteStart);
      const after = quoteEnd + 1 < i ? msg.slice(quoteEnd + 1, i) : '';
      out.push(before + MASK_STR + after);
    }
  }
  maskDateWords(out);
  return out;
}
