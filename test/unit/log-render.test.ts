import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLinePrinter, podColorIndex } from '../../src/deploy/commands/logs/print.js';
import { renderPatterns, shortPodNames } from '../../src/deploy/commands/logs/print-patterns.js';
import { kubeTimeKey } from '../../src/deploy/kube/log-stream.js';
import { createColors } from '../../src/deploy/output/color.js';
import { parseLogLine } from '../../src/deploy/patterns/log-record.js';

const line = JSON.stringify({
  level: 50,
  time: Date.UTC(2026, 10, 26, 19, 40, 5),
  msg: 'job failed',
  jobId: 'j1',
});

describe('logs line printer', () => {
  it('prefixes the pod name without colour when colour is off', () => {
    const print = createLinePrinter({
      colors: createColors(false),
      json: false,
      raw: false,
      timestamps: false,
    });
    const record = parseLogLine(`2026-11-26T19:40:05.5Z ${line}`, { kubeTimestamps: true });
    assert.equal(
      print({ pod: 'pod-a', container: 'worker', record }),
      'pod-a | 19:40:05 ERROR job failed jobId=j1\n',
    );
    const raw = createLinePrinter({ colors: createColors(false), json: false, raw: true, timestamps: true });
    assert.equal(
      raw({ pod: 'pod-a', container: 'worker', record }),
      `pod-a | 2026-11-26T19:40:05.5Z ${line}\n`,
    );
  });

  it('gives each pod a stable colour on a terminal', () => {
    const print = createLinePrinter({
      colors: createColors(true),
      json: false,
      raw: false,
      timestamps: false,
    });
    const record = parseLogLine('plain');
    const a1 = print({ pod: 'preview-worker-abc-1', container: 'c', record });
    const a2 = createLinePrinter({ colors: createColors(true), json: false, raw: false, timestamps: false })({
      pod: 'preview-worker-abc-1',
      container: 'c',
      record,
    });
    assert.equal(a1, a2, 'same pod, same colour in another run');
    assert.match(a1, /^\u001b\[38;5;\d+mpreview-worker-abc-1\u001b\[39m \| plain\n$/);
    assert.equal(podColorIndex('x'), podColorIndex('x'));
    const names = [
      'preview-worker-7d9f8c6b5-a1b2c',
      'preview-worker-7d9f8c6b5-d3e4f',
      'preview-worker-7d9f8c6b5-g5h6i',
    ];
    assert.ok(new Set(names.map(podColorIndex)).size >= 2, 'pods are told apart');
  });

  it('prints NDJSON', () => {
    const print = createLinePrinter({
      colors: createColors(true),
      json: true,
      raw: false,
      timestamps: false,
    });
    const out = print({ pod: 'p', container: 'c', record: parseLogLine(line) });
    assert.ok(out.endsWith('\n') && !out.slice(0, -1).includes('\n'));
    assert.deepEqual(JSON.parse(out), {
      pod: 'p',
      container: 'c',
      time: '2026-11-26T19:40:05.000Z',
      level: 'error',
      msg: 'job failed',
      fields: { jobId: 'j1' },
    });
  });
});

describe('patterns table', () => {
  it('shortens pod names to what differs and lists templates in the given order', () => {
    const { prefix, short } = shortPodNames(['preview-worker-7d9-aaaa', 'preview-worker-7d9-bbbb']);
    assert.equal(prefix, 'preview-worker-7d9-');
    assert.equal(short.get('preview-worker-7d9-bbbb'), 'bbbb');
    const text = renderPatterns(
      {
        namespace: 'production',
        deployment: 'preview-worker',
        selector: 'app=x',
        pods: ['preview-worker-7d9-aaaa', 'preview-worker-7d9-bbbb'],
        linesRead: 4,
        linesMined: 4,
        errorLines: 1,
        dropped: { templates: 0, lines: 0 },
        notes: [],
        templates: [
          {
            id: 2,
            template: 'job failed jobId=<ID>',
            level: 'error',
            count: 1,
            firstSeen: '2026-11-26T19:40:05.000Z',
            lastSeen: '2026-11-26T19:40:05.000Z',
            pods: { 'preview-worker-7d9-aaaa': 1 },
            example: '',
          },
          {
            id: 1,
            template: 'job completed jobId=<ID>',
            level: 'info',
            count: 3,
            firstSeen: '2026-11-26T19:40:00.000Z',
            lastSeen: '2026-11-26T19:41:00.000Z',
            pods: { 'preview-worker-7d9-aaaa': 1, 'preview-worker-7d9-bbbb': 2 },
            example: '',
          },
        ],
      },
      createColors(false),
    );
    const rows = text.split('\n');
    assert.match(text, /4 lines from 2 pods, 2 templates, 1 at error level/);
    const header = rows.findIndex((r) => r.startsWith('LEVEL'));
    assert.match(rows[header], /^LEVEL\s+COUNT\s+FIRST\s+LAST\s+PODS\s+TEMPLATE$/);
    assert.match(rows[header + 1], /^ERROR\s+1\s+19:40:05\s+19:40:05\s+aaaa:1\s+job failed jobId=<ID>$/);
    assert.match(
      rows[header + 2],
      /^INFO\s+3\s+19:40:00\s+19:41:00\s+aaaa:1 bbbb:2\s+job completed jobId=<ID>$/,
    );
  });
});

describe('kubeTimeKey (resume after a cut stream)', () => {
  it('orders RFC3339Nano timestamps exactly, whatever the fraction length', () => {
    const ts = [
      '2026-11-26T19:40:05Z',
      '2026-11-26T19:40:05.000000001Z',
      '2026-11-26T19:40:05.1Z',
      '2026-11-26T19:40:05.123456789Z',
      '2026-11-26T19:40:05.9Z',
      '2026-11-26T19:40:06Z',
    ];
    const keys = ts.map(kubeTimeKey);
    assert.deepEqual([...keys].sort(), keys);
    assert.equal(kubeTimeKey('2026-11-26T19:40:05.1Z'), kubeTimeKey('2026-11-26T19:40:05.100000000Z'));
  });
});
