import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatClock, formatReadable, toJsonEntry } from '../../src/deploy/patterns/log-format.js';
import { parseKubeTime, parseLevelOption, parseLogLine } from '../../src/deploy/patterns/log-record.js';
import { InvalidDurationError, parseDurationSeconds } from '../../src/deploy/patterns/log-since.js';

const T0 = Date.UTC(2026, 10, 26, 19, 40, 5);
const line = JSON.stringify({
  level: 40,
  time: T0,
  pid: 1,
  hostname: 'preview-worker-abc',
  msg: 'queue is filling',
  waiting: 812,
  queue: 'preview-jobs',
  note: 'two words',
});

describe('parseLogLine', () => {
  it('reads a pino JSON line: level, time, msg and the other keys as fields', () => {
    const r = parseLogLine(line);
    assert.equal(r.json, true);
    assert.equal(r.level, 40);
    assert.equal(r.levelName, 'warn');
    assert.equal(r.time, T0);
    assert.equal(r.msg, 'queue is filling');
    assert.deepEqual(r.fields, { waiting: 812, queue: 'preview-jobs', note: 'two words' });
  });

  it('passes plain lines through as they are, with unknown level when they name none', () => {
    const r = parseLogLine('connect ECONNREFUSED 127.0.0.1:6379 while loading an error page');
    assert.equal(r.json, false);
    assert.equal(r.levelName, 'unknown');
    assert.equal(r.level, undefined);
    assert.equal(r.msg, 'connect ECONNREFUSED 127.0.0.1:6379 while loading an error page');
    assert.equal(parseLogLine('{not json').json, false);
    assert.equal(parseLogLine('[1,2]').json, false);
  });

  it('reads the level a plain line names where log formats put it', () => {
    const cases: Array<[string, string]> = [
      ['Error: connect ECONNREFUSED 127.0.0.1:6379', 'error'],
      ['warning: disk almost full', 'warn'],
      ['2026-12-04 10:00:00,123 ERROR [main] o.a.Thing - boom', 'error'],
      ['2026-12-04T10:00:00Z WARN cache cold', 'warn'],
      ['[2026-12-04 10:00:00] [error] [client 10.0.0.1] File does not exist', 'error'],
      ['INFO: Started server', 'info'],
      ['<warn> slow request', 'warn'],
      ['time=2026-12-04T10:00:00Z level=error msg="queue stalled"', 'error'],
      ['ts=1 lvl=WARN caller=x.go:12 msg=retry', 'warn'],
      ['severity="DEBUG" component=x', 'debug'],
      ['FATAL out of memory', 'fatal'],
      ['CRITICAL database unreachable', 'fatal'],
      ['DEBUG:root:loaded 3 plugins', 'unknown'],
    ];
    for (const [line, want] of cases) assert.equal(parseLogLine(line).levelName, want, line);
    assert.equal(parseLogLine('FATAL out of memory').level, 60);
    // the same names in a JSON level
    assert.equal(parseLogLine('{"level":"critical","msg":"x"}').levelName, 'fatal');
  });

  it('a level word in the text of a message is not its level', () => {
    for (const line of [
      'Loading info from cache',
      'proxy.example.com:443 error : Could not connect to proxy',
      'the request failed with error 500',
      'retrying after an ERROR in step five of the job',
      'Error handling is described in the docs',
      'user=error logged in',
    ]) {
      assert.equal(parseLogLine(line).levelName, 'unknown', line);
    }
  });

  it('splits the API server timestamp and uses it as the time of plain lines', () => {
    const r = parseLogLine('2026-11-26T19:40:05.123456789Z plain text here', { kubeTimestamps: true });
    assert.equal(r.kubeTime, '2026-11-26T19:40:05.123456789Z');
    assert.equal(r.raw, 'plain text here');
    assert.equal(r.time, T0 + 123);
    const j = parseLogLine(`2026-11-26T19:40:09Z ${line}`, { kubeTimestamps: true });
    assert.equal(j.time, T0, 'the JSON time wins over the API timestamp');
    assert.equal(parseKubeTime('2026-11-26T19:40:05Z'), T0);
  });

  it('understands string levels and level options', () => {
    assert.equal(parseLogLine('{"level":"error","msg":"x"}').levelName, 'error');
    assert.equal(parseLevelOption('WARN'), 40);
    assert.equal(parseLevelOption('warning'), 40);
    assert.equal(parseLevelOption('fatal'), 60);
    assert.equal(parseLevelOption('50'), 50);
    assert.equal(parseLevelOption('loud'), undefined);
    // names of Object.prototype are not levels (`in` found them, and --level constructor was taken)
    assert.equal(parseLevelOption('constructor'), undefined);
    assert.equal(parseLevelOption('__proto__'), undefined);
  });
});

describe('log line formatting', () => {
  it('shows JSON lines as HH:MM:SS LEVEL msg key=value (UTC)', () => {
    assert.equal(
      formatReadable(parseLogLine(line)),
      '19:40:05 WARN  queue is filling waiting=812 queue=preview-jobs note="two words"',
    );
    assert.equal(formatClock(T0), '19:40:05');
  });

  it('shows an error object by its message', () => {
    const r = parseLogLine(
      JSON.stringify({
        level: 50,
        time: T0,
        msg: 'job failed',
        jobId: 'j1',
        err: { type: 'Error', message: 'boom', stack: 'x' },
      }),
    );
    assert.equal(formatReadable(r), '19:40:05 ERROR job failed jobId=j1 err="Error: boom"');
  });

  it('leaves plain lines untouched and applies styles', () => {
    assert.equal(formatReadable(parseLogLine('  at foo (bar.js:1:2)')), '  at foo (bar.js:1:2)');
    const styled = formatReadable(parseLogLine(line), {
      level: (n, l) => `[${n}:${l.trim()}]`,
      dim: (t) => `<${t}>`,
    });
    assert.equal(
      styled,
      '19:40:05 [warn:WARN] queue is filling <waiting=812 queue=preview-jobs note="two words">',
    );
  });

  it('builds the NDJSON entry', () => {
    assert.deepEqual(toJsonEntry(parseLogLine(line), 'pod-a', 'worker'), {
      pod: 'pod-a',
      container: 'worker',
      time: '2026-11-26T19:40:05.000Z',
      level: 'warn',
      msg: 'queue is filling',
      fields: { waiting: 812, queue: 'preview-jobs', note: 'two words' },
    });
    assert.equal(toJsonEntry(parseLogLine('plain'), 'p', 'c').time, null);
  });
});

describe('--since durations', () => {
  it('parses units and compounds into seconds', () => {
    assert.equal(parseDurationSeconds('10s'), 10);
    assert.equal(parseDurationSeconds('30m'), 1800);
    assert.equal(parseDurationSeconds('1h'), 3600);
    assert.equal(parseDurationSeconds('1h30m'), 5400);
    assert.equal(parseDurationSeconds('2d'), 172800);
    assert.equal(parseDurationSeconds('1.5h'), 5400);
    assert.equal(parseDurationSeconds('90'), 90);
  });

  it('rejects nonsense with a message that shows valid forms', () => {
    for (const bad of ['', 'abc', '10x', '-5m', '0s', '0', '1h-']) {
      assert.throws(() => parseDurationSeconds(bad), InvalidDurationError, bad);
    }
    assert.throws(() => parseDurationSeconds('soon'), /for example 10s, 30m, 1h/);
  });
});
