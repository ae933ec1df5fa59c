import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/worker/config.js';
import { createLogger, isoTimestamp, redactRedisUrl, redactSecrets } from '../../src/worker/logger.js';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig({});
    assert.equal(c.redisUrl, 'redis://127.0.0.1:6379');
    assert.equal(c.queueName, 'preview-jobs');
    assert.equal(c.concurrency, 2);
    assert.equal(c.queueMax, 1000);
    assert.equal(c.dataDir, './data');
    assert.equal(c.port, 3000);
    assert.equal(c.logLevel, 'info');
    assert.equal(c.apiToken, undefined);
    assert.equal(c.shutdownTimeoutMs, 25_000);
    assert.equal(c.nodeEnv, 'development');
    assert.equal(c.redisPrefix, 'bull');
    assert.equal(c.jobAttempts, 5);
  });

  it('reads every variable', () => {
    const c = loadConfig({
      REDIS_URL: 'redis://:pw@redis.example:6380/2',
      PREVIEW_QUEUE_NAME: 'other-queue',
      PREVIEW_WORKER_CONCURRENCY: '4',
      PREVIEW_QUEUE_MAX: '50',
      DATA_DIR: '/var/data',
      PORT: '0',
      LOG_LEVEL: 'debug',
      PREVIEW_API_TOKEN: 'a-token-of-sixteen-chars',
      SHUTDOWN_TIMEOUT_SECONDS: '5',
      NODE_ENV: 'production',
      MAX_BODY_BYTES: '2048',
      PREVIEW_REDIS_PREFIX: 'test-prefix',
      PREVIEW_STALLED_INTERVAL_MS: '500',
      PREVIEW_LOCK_DURATION_MS: '1500',
    });
    assert.equal(c.redisUrl, 'redis://:pw@redis.example:6380/2');
    assert.equal(c.queueName, 'other-queue');
    assert.equal(c.concurrency, 4);
    assert.equal(c.queueMax, 50);
    assert.equal(c.dataDir, '/var/data');
    assert.equal(c.port, 0);
    assert.equal(c.logLevel, 'debug');
    assert.equal(c.apiToken, 'a-token-of-sixteen-chars');
    assert.equal(c.shutdownTimeoutMs, 5000);
    assert.equal(c.maxBodyBytes, 2048);
    assert.equal(c.redisPrefix, 'test-prefix');
    assert.equal(c.stalledIntervalMs, 500);
    assert.equal(c.lockDurationMs, 1500);
  });

  const bad: [string, string, RegExp][] = [
    ['PREVIEW_WORKER_CONCURRENCY', 'two', /whole number from 1 to 64/],
    ['PREVIEW_WORKER_CONCURRENCY', '0', /whole number from 1 to 64/],
    ['PREVIEW_WORKER_CONCURRENCY', '2.5', /whole number from 1 to 64/],
    ['PREVIEW_QUEUE_MAX', '-1', /whole number from 1 to/],
    ['PORT', '70000', /whole number from 0 to 65535/],
    ['LOG_LEVEL', 'loud', /fatal, error, warn, info, debug, trace, silent/],
    ['NODE_ENV', 'prod', /production, development, test/],
    ['SHUTDOWN_TIMEOUT_SECONDS', '0', /whole number from 1 to 3600/],
    ['REDIS_URL', 'http://localhost:6379', /redis:\/\/host:6379/],
    ['REDIS_URL', 'not a url', /redis:\/\/host:6379/],
    ['PREVIEW_QUEUE_NAME', 'bad name/with slash', /letters, digits/],
    ['PREVIEW_API_TOKEN', 'short', /at least 16 characters/],
    ['MAX_BODY_BYTES', 'lots', /whole number/],
  ];
  for (const [name, value, allowed] of bad) {
    it(`rejects ${name}=${JSON.stringify(value)} naming the variable and the allowed values`, () => {
      const err = configError({ [name]: value });
      assert.equal(err.variable, name);
      assert.match(err.message, new RegExp(`^${name}=`));
      assert.match(err.message, allowed);
    });
  }

  it('never echoes a secret value in the error', () => {
    const err = configError({ PREVIEW_API_TOKEN: 'sekrit' });
    assert.doesNotMatch(err.message, /sekrit/);
    const err2 = configError({ REDIS_URL: 'http://:hunter2@host' });
    assert.doesNotMatch(err2.message, /hunter2/);
  });

  it('refuses production without PREVIEW_API_TOKEN', () => {
    const err = configError({ NODE_ENV: 'production', REDIS_URL: 'redis://redis:6379' });
    assert.equal(err.variable, 'PREVIEW_API_TOKEN');
    assert.match(err.message, /NODE_ENV=production/);
  });

  it('refuses production without REDIS_URL', () => {
    const err = configError({ NODE_ENV: 'production', PREVIEW_API_TOKEN: 'x'.repeat(32) });
    assert.equal(err.variable, 'REDIS_URL');
  });

  it('treats an empty variable as unset', () => {
    assert.equal(loadConfig({ PORT: '' }).port, 3000);
  });
});

describe('logger', () => {
  function capture(): { lines: () => Record<string, unknown>[]; stream: Writable } {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, cb) {
        chunks.push(String(chunk));
        cb();
      },
    });
    return {
      stream,
      lines: () =>
        chunks
          .join('')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>),
    };
  }

  it('writes JSON lines and redacts secrets wherever they appear', () => {
    const out = capture();
    const log = createLogger({ destination: out.stream, level: 'info' });
    log.info(
      {
        token: 'tok-1',
        req: { headers: { authorization: 'Bearer tok-2' } },
        config: { apiToken: 'tok-3', redisUrl: 'redis://:tok-4@h:1' },
        payload: { previewRequest: { title: 'tok-5' } },
        jobId: 'j1',
      },
      'hello',
    );
    const text = JSON.stringify(out.lines());
    for (const secret of ['tok-1', 'tok-2', 'tok-3', 'tok-4', 'tok-5']) {
      assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    }
    const [line] = out.lines();
    assert.equal(line?.jobId, 'j1');
    assert.equal(line?.msg, 'hello');
    assert.equal(line?.level, 'info');
  });

  it("redactSecrets copies only what it changes, never the caller's object, and skips non-plain values", () => {
    const input = {
      jobId: 'j1',
      list: [{ token: 's1' }, { ok: 1 }],
      nested: { password: 's2', deeper: { more: { token: 'kept: three levels down is not looked at' } } },
      untouched: { a: { b: 1 } },
      buf: Buffer.from('token'),
    };
    const out = redactSecrets(input);
    assert.deepEqual(out.list, [{ token: '[redacted]' }, { ok: 1 }]);
    assert.equal(out.nested.password, '[redacted]');
    assert.equal(out.nested.deeper, input.nested.deeper);
    assert.equal(input.nested.password, 's2', 'the input is not mutated');
    assert.equal(input.list[0]?.token, 's1');
    assert.equal(out.untouched, input.untouched, 'objects without secrets are not copied');
    assert.equal(out.buf, input.buf);
    const clean = { jobId: 'j', attempt: 1 };
    assert.equal(redactSecrets(clean), clean, 'a line without secrets is passed through as is');
  });

  it('isoTimestamp writes what new Date().toISOString() does, across second boundaries', () => {
    for (const t of [
      0, 1, 999, 1000, 1_764_000_000_007, 1_764_000_000_070, 1_764_000_000_700, 1_764_000_000_999,
      1_764_000_001_000,
    ]) {
      assert.equal(isoTimestamp(t), `,"time":"${new Date(t).toISOString()}"`);
    }
  });

  it('redactRedisUrl hides the password and keeps host and port', () => {
    const shown = redactRedisUrl('redis://user:hunter2@redis.internal:6380/1');
    assert.ok(!shown.includes('hunter2'));
    assert.match(shown, /redis\.internal:6380/);
    assert.equal(redactRedisUrl('redis://localhost:6379'), 'redis://localhost:6379');
  });
});
