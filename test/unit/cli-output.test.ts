import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatJson, formatYaml } from '../../src/deploy/output/format.js';
import { BufferStream } from '../../src/deploy/output/io.js';
import { createProgressReporter } from '../../src/deploy/output/progress.js';

describe('printers', () => {
  it('JSON is 2-space indented, keeps key order, drops undefined, ends with a newline', () => {
    assert.equal(
      formatJson({ b: 1, a: { c: [1, 2] }, u: undefined }),
      '{\n  "b": 1,\n  "a": {\n    "c": [\n      1,\n      2\n    ]\n  }\n}\n',
    );
  });
  it('YAML carries the same data', async () => {
    const text = await formatYaml({
      kind: 'StatusResult',
      healthy: true,
      findings: [],
      when: new Date('2026-01-01T00:00:00Z'),
      u: undefined,
    });
    assert.equal(text, 'kind: StatusResult\nhealthy: true\nfindings: []\nwhen: 2026-01-01T00:00:00.000Z\n');
  });
});

describe('progress reporter', () => {
  const clock = () => new Date('2026-03-01T12:00:00.000Z');
  it('without a TTY: timestamped lines, repeated messages printed once', () => {
    const s = new BufferStream(false);
    const p = createProgressReporter({ stream: s, now: clock });
    p.update('waiting for rollout: 1 of 3 updated');
    p.update('waiting for rollout: 1 of 3 updated');
    p.update('waiting for rollout: 2 of 3 updated');
    p.info('pod x is CrashLoopBackOff');
    p.succeed('rolled out');
    p.stop();
    assert.equal(
      s.text,
      [
        '2026-03-01T12:00:00.000Z waiting for rollout: 1 of 3 updated',
        '2026-03-01T12:00:00.000Z waiting for rollout: 2 of 3 updated',
        '2026-03-01T12:00:00.000Z pod x is CrashLoopBackOff',
        '2026-03-01T12:00:00.000Z ✔ rolled out',
        '',
      ].join('\n'),
    );
  });
  it('on a TTY: one live line rewritten in place, permanent lines above it, cleared on stop', () => {
    const s = new BufferStream(true, 80);
    const p = createProgressReporter({ stream: s, now: clock, intervalMs: 10_000 });
    p.update('waiting');
    p.update('still waiting');
    p.fail('rollout failed');
    p.stop();
    assert.match(s.text, /\r\u001b\[2K⠋ waiting/);
    assert.match(s.text, /\r\u001b\[2K⠋ still waiting/);
    assert.match(s.text, /✖ rollout failed\n/);
    assert.ok(s.text.endsWith('\r\u001b[2K'));
  });
  it('quiet prints nothing', () => {
    const s = new BufferStream(true);
    const p = createProgressReporter({ stream: s, quiet: true });
    p.update('x');
    p.succeed('y');
    assert.equal(s.text, '');
  });
});

describe('verify table', () => {
  it('summarises many passing per-pod checks in one line and keeps failures visible', async () => {
    const { renderVerify } = await import('../../src/deploy/commands/verify/print.js');
    const { createColors } = await import('../../src/deploy/output/color.js');
    const podChecks = Array.from({ length: 8 }, (_, i) => ({
      name: `pod w-${i} /livez /readyz`,
      status: (i === 3 ? 'fail' : 'pass') as 'pass' | 'fail',
      evidence: i === 3 ? '/readyz 503: redis down' : '/livez 200 in 2 ms; /readyz 200 in 2 ms',
      pod: `w-${i}`,
    }));
    const text = renderVerify(
      {
        kind: 'VerifyResult',
        passed: false,
        target: { namespace: 'production', deployment: 'preview-worker' },
        checks: [{ name: 'rollout', status: 'pass', evidence: 'ok' }, ...podChecks],
        summary: { pass: 8, fail: 1, warn: 0, skip: 0 },
        startedAt: '2026-03-01T00:00:00Z',
        durationMs: 1200,
      },
      { colors: createColors(false) },
    );
    assert.match(text, /✔ PASS {2}pods \/livez \/readyz +7 of 8 pods answered 200/);
    assert.match(text, /✖ FAIL {2}pod w-3 \/livez \/readyz +\/readyz 503: redis down/);
    assert.doesNotMatch(text, /pod w-0/);
    assert.match(text, /Verification failed: 8 passed, 1 failed, 0 warnings, 0 skipped \(1\.2s\)/);
  });
});
