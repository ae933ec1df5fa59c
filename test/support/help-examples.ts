/**
 * The examples of a --help text, and the shell words of one (as a POSIX shell splits them), for the
 * tests that parse every example (test/unit/cli-help-examples.test.ts) and run the read-only ones
 * against the simulator (test/e2e/cli-help-examples.test.ts).
 */
import assert from 'node:assert/strict';

/** The example lines of a help text: the indented lines after "Examples:" (continuations joined). */
export function examplesOf(help: string): string[] {
  const at = help.indexOf('\nExamples:\n');
  if (at < 0) return [];
  const lines: string[] = [];
  let pending = '';
  for (const line of help.slice(at + '\nExamples:\n'.length).split('\n')) {
    if (!/^\s+\S/.test(line)) break;
    const text = line.trim();
    if (text.endsWith('\\')) {
      pending += `${text.slice(0, -1)} `;
      continue;
    }
    lines.push(pending + text);
    pending = '';
  }
  return lines.filter((l) => !l.startsWith('#'));
}

/**
 * Split one command line into words like a POSIX shell (quotes, backslashes), stopping at the first
 * `|`, `>`, `>>`, `<`, `&&`, `;` or `#` word; leading VAR=value assignments are dropped.
 */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  const end = () => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  while (i < line.length) {
    const ch = line[i];
    if (ch === "'") {
      const close = line.indexOf("'", i + 1);
      assert.ok(close > 0, `unclosed ' in: ${line}`);
      word += line.slice(i + 1, close);
      inWord = true;
      i = close + 1;
    } else if (ch === '"') {
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < line.length) i++;
        word += line[i++];
      }
      assert.ok(i < line.length, `unclosed " in: ${line}`);
      inWord = true;
      i++;
    } else if (ch === '\\' && i + 1 < line.length) {
      word += line[i + 1];
      inWord = true;
      i += 2;
    } else if (/\s/.test(ch)) {
      end();
      i++;
    } else if (
      !inWord &&
      (ch === '|' || ch === '>' || ch === '<' || ch === ';' || ch === '&' || ch === '#')
    ) {
      break;
    } else {
      word += ch;
      inWord = true;
      i++;
    }
  }
  end();
  while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0])) words.shift();
  return words;
}
