import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLogLine } from '../../src/deploy/patterns/log-record.js';
import { LogTemplateMiner } from '../../src/deploy/patterns/log-templates.js';

const T0 = Date.UTC(2026, 10, 26, 19, 40, 0);

function pino(level: number, time: number, msg: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ level, time, pid: 1, hostname: 'preview-worker-abc', msg, ...fields });
}

describe('LogTemplateMiner', () => {
  it('gives one template to lines that differ only in ids, numbers, uuids, IPs and durations', () => {
    const miner = new LogTemplateMiner();
    const a = miner.addMessage(
      'request 550e8400-e29b-41d4-a716-446655440000 from 10.0.0.1:6379 took 812ms status 200',
    );
    const b = miner.addMessage(
      'request 123e4567-e89b-12d3-a456-426614174000 from 192.168.1.20 took 1.5s status 503',
    );
    const c = miner.addMessage(
      'request 9b2f1c3e-0000-4000-8000-000000000001 from fe80::1 took 2m30s status 404',
    );
    const [ra, rb, rc] = miner.resolve([a, b, c]);
    assert.equal(ra, rb);
    assert.equal(rb, rc);
    const [t] = miner.templates();
    assert.equal(t.template, 'request <UUID> from <IP> took <DUR> status <NUM>');
    assert.equal(t.count, 3);
  });

  it('masks hex ids, timestamps, quoted key values and key=value values', () => {
    const miner = new LogTemplateMiner();
    miner.addMessage(
      'commit 0x1f2e3d4c at 2026-11-26T19:40:00.123Z by="Ada Lovelace" sha=9f86d081884c7d65 mode=fast',
    );
    miner.addMessage('commit 0xdeadbeef at 2026-11-27T01:02:03Z by="Alan" sha=2c26b46b68ffc68f mode=slow');
    const ts = miner.templates();
    assert.equal(ts.length, 1);
    assert.equal(ts[0].template, 'commit <HEX> at <TS> by=<STR> sha=<HEX> mode=<*>');
  });

  it('mines worker JSON lines as msg plus keys, with id values as <ID>', () => {
    const miner = new LogTemplateMiner();
    miner.addRecord(
      parseLogLine(
        pino(30, T0, 'job completed', { jobId: 'job-1', projectId: 'alpha', attempt: 1, durationMs: 812 }),
      ),
      'pod-a',
    );
    miner.addRecord(
      parseLogLine(
        pino(30, T0 + 1, 'job completed', { jobId: 'zz', projectId: 'beta', attempt: 2, durationMs: 9 }),
      ),
      'pod-b',
    );
    const ts = miner.templates();
    assert.equal(ts.length, 1);
    assert.equal(ts[0].template, 'job completed jobId=<ID> projectId=<ID> attempt=<NUM> durationMs=<NUM>');
    assert.equal(ts[0].level, 'info');
  });

  it('keeps distinct messages distinct', () => {
    const miner = new LogTemplateMiner();
    const lines = [
      pino(30, T0, 'job completed', { jobId: 'j1', durationMs: 5 }),
      pino(30, T0, 'job started', { jobId: 'j2', attempt: 1 }),
      pino(40, T0, 'queue is filling', { waiting: 900, max: 1000 }),
      pino(50, T0, 'job failed', {
        jobId: 'j3',
        err: { type: 'Error', message: 'connect ECONNREFUSED 10.0.0.1:6379' },
      }),
      pino(50, T0, 'job failed', {
        jobId: 'j4',
        err: { type: 'Error', message: 'ENOSPC: no space left on device' },
      }),
      'Listening on port 3000',
      'npm WARN config production Use --omit=dev instead.',
    ];
    const ids = miner.resolve(lines.map((l) => miner.addRecord(parseLogLine(l), 'p')));
    assert.equal(new Set(ids).size, lines.length);
    const templates = miner.templates().map((t) => t.template);
    assert.ok(templates.includes('job failed jobId=<ID> err=Error: connect ECONNREFUSED <IP>'));
    assert.ok(templates.includes('job failed jobId=<ID> err=Error: ENOSPC: no space left on device'));
  });

  it('generalises a word with many values into <*>, but not unrelated lines of the same shape', () => {
    const miner = new LogTemplateMiner();
    const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace'];
    const ids = users.map((u) => miner.addMessage(`login accepted for ${u} on console`));
    const c = miner.addMessage('render pool fully drained now');
    const resolved = miner.resolve([...ids, c]);
    assert.equal(new Set(resolved.slice(0, users.length)).size, 1);
    assert.notEqual(resolved[0], resolved[users.length]);
    assert.deepEqual(
      miner
        .templates()
        .map((t) => t.template)
        .sort(),
      ['login accepted for <*> on console', 'render pool fully drained now'],
    );
  });

  it('keeps the key when key=value tokens differ (key=<*>, not a bare <*>)', () => {
    const miner = new LogTemplateMiner();
    const line = (url: string) =>
      parseLogLine(pino(30, T0, 'request completed', { method: 'GET', url, status: 200, ms: 3 }));
    const [a, b, c] = miner.resolve([
      miner.addRecord(line('/readyz')),
      miner.addRecord(line('/v1/previews/job-42')),
      miner.addRecord(line('/v1/queue')),
    ]);
    assert.equal(a, b);
    assert.equal(b, c);
    assert.equal(miner.templates()[0].template, 'request completed method=<*> url=<*> status=<NUM> ms=<NUM>');
    const plain = new LogTemplateMiner();
    plain.addMessage('cache lookup result=hit took 5ms');
    plain.addMessage('cache lookup result=<NUM> took 7ms');
    assert.equal(plain.templates()[0].template, 'cache lookup result=<*> took <DUR>');
  });

  it('keeps the same text at different levels as different templates and carries the level', () => {
    const miner = new LogTemplateMiner();
    const [w, e, u] = miner.resolve([
      miner.addRecord(parseLogLine(pino(40, T0, 'redis slow', { ms: 50 }))),
      miner.addRecord(parseLogLine(pino(50, T0, 'redis slow', { ms: 5000 }))),
      miner.addRecord(parseLogLine('redis slow ms=50')),
    ]);
    assert.notEqual(w, e);
    const byId = new Map(miner.templates().map((t) => [t.id, t]));
    assert.equal(byId.get(w)?.level, 'warn');
    assert.equal(byId.get(e)?.level, 'error');
    assert.equal(byId.get(u)?.level, 'unknown');
  });

  it('records first and last seen by line time (not arrival order) and counts per pod', () => {
    const miner = new LogTemplateMiner();
    miner.addRecord(parseLogLine(pino(30, T0 + 5000, 'tick', { n: 1 })), 'pod-b');
    miner.addRecord(parseLogLine(pino(30, T0, 'tick', { n: 2 })), 'pod-a');
    miner.addRecord(parseLogLine(pino(30, T0 + 9000, 'tick', { n: 3 })), 'pod-b');
    miner.addRecord(parseLogLine(pino(30, T0 + 1000, 'tick', { n: 4 })), 'pod-c');
    const [t] = miner.templates();
    assert.equal(t.count, 4);
    assert.equal(t.firstSeen, new Date(T0).toISOString());
    assert.equal(t.lastSeen, new Date(T0 + 9000).toISOString());
    assert.deepEqual(t.pods, { 'pod-a': 1, 'pod-b': 2, 'pod-c': 1 });
    assert.deepEqual(Object.keys(t.pods), ['pod-a', 'pod-b', 'pod-c']);
  });

  it('leaves first/last seen undefined for lines without a time', () => {
    const miner = new LogTemplateMiner();
    miner.addMessage('plain line 1');
    const [t] = miner.templates();
    assert.equal(t.firstSeen, undefined);
    assert.equal(t.lastSeen, undefined);
  });

  it('ranks error-level templates first, then by count', () => {
    const miner = new LogTemplateMiner();
    for (let i = 0; i < 10; i++)
      miner.addRecord(parseLogLine(pino(30, T0 + i, 'job completed', { jobId: `j${i}` })));
    for (let i = 0; i < 5; i++)
      miner.addRecord(parseLogLine(pino(40, T0 + i, 'queue is filling', { waiting: i })));
    miner.addRecord(parseLogLine(pino(50, T0, 'job failed', { jobId: 'x' })));
    for (let i = 0; i < 3; i++) miner.addRecord(parseLogLine(pino(60, T0, 'out of memory', { rss: i })));
    for (let i = 0; i < 7; i++) miner.addMessage(`GET /livez 200 ${i} ms`);
    const ranked = miner.templates().map((t) => [t.level, t.count]);
    assert.deepEqual(ranked, [
      ['fatal', 3],
      ['error', 1],
      ['info', 10],
      ['unknown', 7],
      ['warn', 5],
    ]);
  });

  it('mines only the first 120 tokens of a huge line, so two huge lines differing at the end share a template', () => {
    const miner = new LogTemplateMiner();
    const words = Array.from({ length: 500 }, (_, i) => `w${String.fromCharCode(97 + (i % 26))}`);
    const a = miner.addMessage(`${words.join(' ')} tail-one`);
    const b = miner.addMessage(`${words.join(' ')} tail-two`);
    assert.equal(a, b);
    assert.equal(miner.templates()[0].template.split(' ').length, 120);
  });

  it('ignores empty lines and counts the rest', () => {
    const miner = new LogTemplateMiner();
    assert.equal(miner.addMessage('   '), 0);
    miner.addMessage('a b');
    assert.equal(miner.lines, 1);
    assert.equal(miner.size, 1);
  });
});
