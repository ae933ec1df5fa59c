// Value classification for the log masks (log-mask.ts): which typed placeholder a bare value
// gets (<NUM>, <UUID>, <IP>, <TS>, <DUR>, <HEX>, <ID>), or none for a word. A single character
// pass per value, no regular expressions.

export const MASK_UUID = '<UUID>';
export const MASK_IP = '<IP>';
export const MASK_TS = '<TS>';
export const MASK_DUR = '<DUR>';
export const MASK_NUM = '<NUM>';
export const MASK_HEX = '<HEX>';
export const MASK_ID = '<ID>';
export const MASK_STR = '<STR>';
export const MASK_PATH = '<PATH>';
export const WILDCARD = '<*>';

const C_0 = 48;
const C_9 = 57;
export const C_DOT = 46;
export const C_COLON = 58;
export const C_DASH = 45;
const C_PLUS = 43;
export const C_EQ = 61;
export const C_DQUOTE = 34;
export const C_SQUOTE = 39;

export function isDigit(c: number): boolean {
  return c >= C_0 && c <= C_9;
}

function isHexLetter(c: number): boolean {
  return (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

function isHex(c: number): boolean {
  return isDigit(c) || isHexLetter(c);
}

export function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

/** Leading punctuation kept outside a masked value: ( [ { */
export function isOpenPunct(c: number): boolean {
  return c === 40 || c === 91 || c === 123;
}

/** Trailing punctuation kept outside a masked value: , ; : . ) ] } ! ? */
export function isClosePunct(c: number): boolean {
  return (
    c === 44 ||
    c === 59 ||
    c === C_COLON ||
    c === C_DOT ||
    c === 41 ||
    c === 93 ||
    c === 125 ||
    c === 33 ||
    c === 63
  );
}

/** True for a key of a key=value token: [A-Za-z_][A-Za-z0-9_.-]* */
export function isKey(s: string, end: number): boolean {
  if (end <= 0) return false;
  const c0 = s.charCodeAt(0);
  if (!(isLetter(c0) || c0 === 95)) return false;
  for (let i = 1; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!(isLetter(c) || isDigit(c) || c === 95 || c === C_DOT || c === C_DASH)) return false;
  }
  return true;
}

/** Keys whose values are identifiers (jobId, projectId, request_id, id, traceID, ...). */
export function isIdKey(key: string): boolean {
  const n = key.length;
  if (n < 2) return false;
  const a = key.charCodeAt(n - 2);
  const b = key.charCodeAt(n - 1);
  // ...Id / ...ID / ...id (id itself, jobId, job_id, trace-id)
  if ((a === 73 || a === 105) && (b === 100 || b === 68)) {
    if (n === 2) return true;
    const p = key.charCodeAt(n - 3);
    return a === 73 || p === 95 || p === C_DASH || p === C_DOT;
  }
  return false;
}

const DURATION_UNITS = new Set(['ns', 'us', 'µs', 'ms', 's', 'm', 'h', 'd', 'sec', 'secs', 'min', 'mins']);
const SIZE_UNITS = new Set([
  '%',
  'b',
  'B',
  'k',
  'K',
  'M',
  'G',
  'T',
  'kb',
  'KB',
  'kB',
  'MB',
  'GB',
  'TB',
  'Ki',
  'Mi',
  'Gi',
  'Ti',
  'KiB',
  'MiB',
  'GiB',
  'TiB',
  'x',
]);

/** Units spelled out: only as a word of their own after a number (`0 bytes`, `10 seconds`). */
const SPELLED_UNITS = new Set(
  'byte bytes second seconds minute minutes hr hrs hour hours day days'.split(' '),
);

/**
 * A unit written as a word of its own (`5.2 KB`, `<1 sec`, `10 seconds`): the units a number may
 * carry attached (`5.2KB`, `1s`), and their spelled-out forms. The grouping reads it, after a
 * number, as part of that number's variable (log-partition.ts).
 */
export function isUnitWord(word: string): boolean {
  return SIZE_UNITS.has(word) || DURATION_UNITS.has(word) || SPELLED_UNITS.has(word);
}

/** Scan a plain number at s[i..end): returns the index after it, or -1 when none starts there. */
function scanNumber(s: string, i: number, end: number): number {
  let j = i;
  let c = s.charCodeAt(j);
  if (c === C_DASH || c === C_PLUS) {
    j++;
    c = s.charCodeAt(j);
  }
  const digitsStart = j;
  while (j < end && isDigit(s.charCodeAt(j))) j++;
  if (j === digitsStart) return -1;
  if (j < end && s.charCodeAt(j) === C_DOT && j + 1 < end && isDigit(s.charCodeAt(j + 1))) {
    j += 2;
    while (j < end && isDigit(s.charCodeAt(j))) j++;
  }
  if (j + 1 < end && (s.charCodeAt(j) === 101 || s.charCodeAt(j) === 69)) {
    let k = j + 1;
    const e = s.charCodeAt(k);
    if (e === C_DASH || e === C_PLUS) k++;
    if (k < end && isDigit(s.charCodeAt(k))) {
      k++;
      while (k < end && isDigit(s.charCodeAt(k))) k++;
      j = k;
    }
  }
  return j;
}

/** Compound durations: 812ms, 1.5s, 1h30m, 2m3.5s, 10µs. */
function isDuration(s: string, start: number, end: number): boolean {
  let i = start;
  let parts = 0;
  while (i < end) {
    const afterNum = scanNumber(s, i, end);
    if (afterNum < 0 || (parts > 0 && (s.charCodeAt(i) === C_DASH || s.charCodeAt(i) === C_PLUS)))
      return false;
    let j = afterNum;
    while (j < end && !isDigit(s.charCodeAt(j)) && s.charCodeAt(j) !== C_DOT) j++;
    if (j === afterNum) return false;
    if (!DURATION_UNITS.has(s.slice(afterNum, j))) return false;
    parts++;
    i = j;
  }
  return parts > 0;
}

function isUuid(s: string, start: number, end: number): boolean {
  if (end - start !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = s.charCodeAt(start + i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== C_DASH) return false;
    } else if (!isHex(c)) return false;
  }
  return true;
}

/** 2026-11-26, 2026-11-26T19:40:00.123Z, 2026-11-26T19:40:00+01:00, 19:40:00, 19:40:00.123 */
function isTimestamp(s: string, start: number, end: number): boolean {
  const n = end - start;
  if (
    n >= 10 &&
    isDigit(s.charCodeAt(start)) &&
    isDigit(s.charCodeAt(start + 3)) &&
    s.charCodeAt(start + 4) === C_DASH &&
    isDigit(s.charCodeAt(start + 5)) &&
    s.charCodeAt(start + 7) === C_DASH &&
    isDigit(s.charCodeAt(start + 8)) &&
    isDigit(s.charCodeAt(start + 9))
  ) {
    if (n === 10) return true;
    const t = s.charCodeAt(start + 10);
    return t === 84 || t === 116 || t === 95; // T, t, _
  }
  if (
    n >= 8 &&
    isDigit(s.charCodeAt(start)) &&
    isDigit(s.charCodeAt(start + 1)) &&
    s.charCodeAt(start + 2) === C_COLON &&
    isDigit(s.charCodeAt(start + 3)) &&
    isDigit(s.charCodeAt(start + 4)) &&
    s.charCodeAt(start + 5) === C_COLON &&
    isDigit(s.charCodeAt(start + 6)) &&
    isDigit(s.charCodeAt(start + 7))
  ) {
    for (let i = start + 8; i < end; i++) {
      const c = s.charCodeAt(i);
      // fractions after a dot or a comma (10:00:00.101, log4j's and Python's 10:00:00,101), a zone
      if (
        !(isDigit(c) || c === C_DOT || c === 44 || c === 90 || c === C_PLUS || c === C_DASH || c === C_COLON)
      )
        return false;
    }
    return true;
  }
  return false;
}

/** 10.0.0.1, 10.0.0.1:6379 */
function isIPv4(s: string, start: number, end: number): boolean {
  let groups = 0;
  let i = start;
  while (i < end) {
    const g = i;
    while (i < end && isDigit(s.charCodeAt(i))) i++;
    const len = i - g;
    if (len < 1 || len > 3) return false;
    groups++;
    if (i === end) break;
    const c = s.charCodeAt(i);
    if (c === C_DOT && groups < 4) {
      i++;
      continue;
    }
    if (c === C_COLON && groups === 4) {
      // port
      i++;
      const p = i;
      while (i < end && isDigit(s.charCodeAt(i))) i++;
      return i === end && i > p && i - p <= 5;
    }
    return false;
  }
  return groups === 4;
}

/** fe80::1, 2001:db8::8a2e:370:7334, ::ffff:10.0.0.1, [::1]:8080 is handled by punctuation stripping. */
function isIPv6(s: string, start: number, end: number): boolean {
  let colons = 0;
  let groupLen = 0;
  let sawDot = false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === C_COLON) {
      colons++;
      groupLen = 0;
    } else if (isHex(c)) {
      groupLen++;
      if (groupLen > 4 && !sawDot) return false;
    } else if (c === C_DOT) {
      sawDot = true;
    } else return false;
  }
  return colons >= 2 && colons <= 7;
}

/**
 * Classify a bare value (no surrounding punctuation) into a mask, or null when it is a word.
 * Tokens without a digit are words, except IPv6 such as `::` forms, which always hold a digit or colon pair.
 */
export function classifyValue(s: string, start = 0, end = s.length): string | null {
  const n = end - start;
  if (n === 0) return null;
  let digits = 0;
  let letters = 0;
  let hexLetters = 0;
  let colons = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (isDigit(c)) digits++;
    else if (isLetter(c)) {
      letters++;
      if (isHexLetter(c)) hexLetters++;
    } else if (c === C_COLON) colons++;
  }
  if (digits === 0) {
    if (colons >= 2 && letters === hexLetters && letters > 0 && isIPv6(s, start, end)) return MASK_IP;
    return null;
  }
  if (n === 36 && isUuid(s, start, end)) return MASK_UUID;
  const c0 = s.charCodeAt(start);
  if (isDigit(c0) && isTimestamp(s, start, end)) return MASK_TS;
  if (letters === 0 && isDigit(c0) && isIPv4(s, start, end)) return MASK_IP;
  if (colons >= 2 && letters === hexLetters && isIPv6(s, start, end)) return MASK_IP;
  if (c0 === C_0 && n > 2 && (s.charCodeAt(start + 1) === 120 || s.charCodeAt(start + 1) === 88)) {
    let allHex = true;
    for (let i = start + 2; i < end; i++) {
      if (!isHex(s.charCodeAt(i))) {
        allHex = false;
        break;
      }
    }
    if (allHex) return MASK_HEX;
  }
  const afterNum = scanNumber(s, start, end);
  if (afterNum === end) return MASK_NUM;
  if (afterNum > start) {
    if (isDuration(s, start, end)) return MASK_DUR;
    if (SIZE_UNITS.has(s.slice(afterNum, end))) return MASK_NUM;
  }
  if (n >= 8 && letters === hexLetters) {
    let allHex = true;
    for (let i = start; i < end; i++) {
      if (!isHex(s.charCodeAt(i))) {
        allHex = false;
        break;
      }
    }
    if (allHex) return MASK_HEX;
  }
  return MASK_ID;
}
