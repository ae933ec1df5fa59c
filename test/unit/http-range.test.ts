import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRange } from '../../src/worker/http/range.js';

describe('parseRange', () => {
  test('no header or an unusable one means the whole file', () => {
    for (const header of [
      undefined,
      '',
      'bytes=',
      'bytes=-',
      'items=0-1',
      'bytes=0-1,5-9',
      'bytes=a-b',
      'bytes=5-2',
    ]) {
      assert.deepEqual(parseRange(header, 100), { kind: 'full' }, String(header));
    }
  });

  test('closed, open-ended and suffix ranges', () => {
    assert.deepEqual(parseRange('bytes=0-0', 100), { kind: 'partial', start: 0, end: 0 });
    assert.deepEqual(parseRange('bytes=0-49', 100), { kind: 'partial', start: 0, end: 49 });
    assert.deepEqual(parseRange('bytes=50-', 100), { kind: 'partial', start: 50, end: 99 });
    assert.deepEqual(parseRange('bytes=-10', 100), { kind: 'partial', start: 90, end: 99 });
    assert.deepEqual(parseRange(' Bytes = 10 - 19 ', 100), { kind: 'partial', start: 10, end: 19 });
  });

  test('ranges past the end are clamped; ranges starting past it are unsatisfiable', () => {
    assert.deepEqual(parseRange('bytes=90-500', 100), { kind: 'partial', start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-500', 100), { kind: 'partial', start: 0, end: 99 });
    assert.deepEqual(parseRange('bytes=100-', 100), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=100-200', 100), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=-0', 100), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=0-', 0), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=99999999999999999999-', 100), { kind: 'unsatisfiable' });
  });
});
