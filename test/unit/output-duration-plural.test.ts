/** The one duration style and the plural helper every human view uses (output/duration.ts, output/plural.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shortEvidence } from '../../src/deploy/kube/rollout-watch.js';
import { formatDuration } from '../../src/deploy/output/duration.js';
import { plural, pluralWord } from '../../src/deploy/output/plural.js';
import { formatPhases } from '../../src/deploy/output/record.js';

describe('formatDuration', () => {
  it('"850ms" below a second, "1.1s" below a minute, kubectl ages above', () => {
    const cases: [number | undefined, string][] = [
      [undefined, '-'],
      [0, '0ms'],
      [850, '850ms'],
      [999.4, '999ms'],
      [999.6, '1s'],
      [1079, '1.1s'],
      [30_000, '30s'],
      [59_940, '59.9s'],
      [59_960, '60s'],
      [125_000, '2m5s'],
      [15 * 60_000, '15m'],
      [-5, '0ms'],
    ];
    for (const [ms, text] of cases) assert.equal(formatDuration(ms), text, String(ms));
  });
  it('a record\'s phases use it too: no "1079ms" beside "1.1s"', () => {
    assert.equal(
      formatPhases({ phases: { lock: 12, apply: 1079, rollout: 8200 } }),
      'lock 12ms, apply 1.1s, rollout 8.2s',
    );
  });
});

describe('plural', () => {
  it('counts in the right number', () => {
    assert.equal(plural(1, 'object'), '1 object');
    assert.equal(plural(0, 'object'), '0 objects');
    assert.equal(plural(3, 'restart'), '3 restarts');
    assert.equal(pluralWord(1, 'its', 'their'), 'its');
    assert.equal(pluralWord(2, 'its', 'their'), 'their');
  });
});

describe('shortEvidence (a failure message carries only the start of a termination message)', () => {
  it('keeps a short one-line message, marks what it leaves out', () => {
    assert.equal(shortEvidence('Error: boom'), 'Error: boom');
    assert.equal(shortEvidence('Error: boom\n    at x'), 'Error: boom …');
    const long = shortEvidence('y'.repeat(500));
    assert.equal(long.length, 120);
    assert.ok(long.endsWith('…'));
  });
});
