import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  classifyValue,
  isIdKey,
  maskToken,
  TokenMemo,
  tokenizeAndMask,
} from '../../src/deploy/patterns/log-mask.js';

describe('log pre-masking', () => {
  it('classifies typed values', () => {
    const cases: Array<[string, string | null]> = [
      ['42', '<NUM>'],
      ['-3.5', '<NUM>'],
      ['1e-3', '<NUM>'],
      ['512Ki', '<NUM>'],
      ['95%', '<NUM>'],
      ['812ms', '<DUR>'],
      ['1.5s', '<DUR>'],
      ['1h30m', '<DUR>'],
      ['550e8400-e29b-41d4-a716-446655440000', '<UUID>'],
      ['10.0.0.1', '<IP>'],
      ['10.0.0.1:6379', '<IP>'],
      ['2001:db8::8a2e:370:7334', '<IP>'],
      ['fe80::1', '<IP>'],
      ['2026-11-26T19:40:00.123Z', '<TS>'],
      ['2026-11-26', '<TS>'],
      ['19:40:00', '<TS>'],
      ['19:40:00,123', '<TS>'], // log4j's and Python's default time
      ['0xdeadbeef', '<HEX>'],
      ['9f86d081884c7d65', '<HEX>'],
      ['job-42', '<ID>'],
      ['preview-worker-7d9f8c6b5-x2k9p', '<ID>'],
      ['completed', null],
      ['ECONNREFUSED', null],
      ['deadbeef', null],
    ];
    for (const [value, want] of cases) assert.equal(classifyValue(value), want, value);
  });

  it('keeps punctuation around a masked value and masks key=value values', () => {
    assert.equal(maskToken('(10.0.0.1:6379),'), '(<IP>),');
    assert.equal(maskToken('42.'), '<NUM>.');
    assert.equal(maskToken('status=200'), 'status=<NUM>');
    assert.equal(maskToken('jobId=abc'), 'jobId=<ID>');
    assert.equal(maskToken('mode=fast'), 'mode=<*>');
    assert.equal(maskToken('done'), 'done');
  });

  it('tokenizes a quoted value of a key as one token, and other quoted strings word by word', () => {
    assert.deepEqual(tokenizeAndMask('user "John Smith" said \'hi there\', key="a b" done', []), [
      'user',
      '"John',
      'Smith"',
      'said',
      "'hi",
      "there',",
      'key=<STR>',
      'done',
    ]);
    // A quoted request line is its method, path and protocol: GET and DELETE stay apart.
    assert.deepEqual(tokenizeAndMask('"GET /v2/servers/detail HTTP/1.1" status: 200', []), [
      '"GET',
      '<PATH>',
      'HTTP/<NUM>.<NUM>"',
      'status:',
      '<NUM>',
    ]);
    assert.deepEqual(tokenizeAndMask("don't stop", []), ["don't", 'stop']);
  });

  it('recognises id keys', () => {
    for (const k of ['id', 'jobId', 'projectId', 'request_id', 'traceID', 'trace-id'])
      assert.ok(isIdKey(k), k);
    for (const k of ['paid', 'valid', 'd', 'width']) assert.ok(!isIdKey(k), k);
  });
});

describe('TokenMemo', () => {
  it('gives what masking each token gives, for repeated, distinct, long and quoted tokens, past a refill', () => {
    const memo = new TokenMemo();
    const words = ['close,', 'bytes', 'sent,', 'user=root', 'id="a b"', 'x'.repeat(80), 'blk_-42'];
    const lines: string[] = [];
    // 100,000 distinct tokens: more than the table holds, so it starts afresh on the way.
    for (let i = 0; i < 100_000; i++)
      lines.push(`${words[i % words.length]} t${i}x ${i} ${words[(i * 3) % words.length]}`);
    for (const line of [...lines, ...lines.slice(0, 1000)]) {
      assert.deepEqual(tokenizeAndMask(line, [], memo), tokenizeAndMask(line, []), line);
    }
  });
});
