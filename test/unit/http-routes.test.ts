import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isAuthorized } from '../../src/worker/http/auth.js';
import { isRedisUnavailableError } from '../../src/worker/http/respond.js';
import { matchRoute, rawPathOf } from '../../src/worker/http/routes.js';

describe('rawPathOf', () => {
  test('drops the query and fragment without decoding or normalising', () => {
    assert.equal(rawPathOf('/v1/queue?token=secret'), '/v1/queue');
    assert.equal(rawPathOf('/a/../b#x'), '/a/../b');
    assert.equal(rawPathOf('/a/%2e%2e/b?x=1#y'), '/a/%2e%2e/b');
    assert.equal(rawPathOf(undefined), '/');
  });
});

describe('matchRoute', () => {
  test('matches every route with its template', () => {
    assert.deepEqual(matchRoute('GET', '/livez'), {
      kind: 'found',
      name: 'livez',
      template: '/livez',
      params: {},
    });
    assert.equal((matchRoute('GET', '/readyz') as { name: string }).name, 'readyz');
    assert.equal((matchRoute('GET', '/metrics') as { name: string }).name, 'metrics');
    assert.equal((matchRoute('POST', '/v1/previews') as { name: string }).name, 'submitPreview');
    assert.equal((matchRoute('GET', '/v1/queue') as { name: string }).name, 'queueOverview');
    assert.deepEqual(matchRoute('GET', '/v1/previews/job-1'), {
      kind: 'found',
      name: 'previewStatus',
      template: '/v1/previews/:jobId',
      params: { jobId: 'job-1' },
    });
    assert.deepEqual(matchRoute('GET', '/v1/previews/job-1/artifacts/frames/step-001.png'), {
      kind: 'found',
      name: 'previewArtifact',
      template: '/v1/previews/:jobId/artifacts/*',
      params: { jobId: 'job-1', path: 'frames/step-001.png' },
    });
  });

  test('keeps traversal segments raw in the artifact path so the handler can refuse them', () => {
    const m = matchRoute('GET', '/v1/previews/j/artifacts/../../../etc/passwd');
    assert.equal(m.kind, 'found');
    if (m.kind === 'found') assert.equal(m.params.path, '../../../etc/passwd');
    const enc = matchRoute('GET', '/v1/previews/j/artifacts/%2e%2e/x');
    if (enc.kind === 'found') assert.equal(enc.params.path, '%2e%2e/x');
  });

  test('HEAD is allowed wherever GET is', () => {
    assert.equal((matchRoute('HEAD', '/livez') as { name: string }).name, 'livez');
    assert.equal(matchRoute('HEAD', '/v1/previews').kind, 'method-not-allowed');
  });

  test('a wrong method gets 405 data with the allowed methods', () => {
    assert.deepEqual(matchRoute('GET', '/v1/previews'), {
      kind: 'method-not-allowed',
      template: '/v1/previews',
      allow: ['POST'],
    });
    assert.deepEqual(matchRoute('DELETE', '/v1/previews/x'), {
      kind: 'method-not-allowed',
      template: '/v1/previews/:jobId',
      allow: ['GET', 'HEAD'],
    });
    assert.deepEqual(matchRoute('POST', '/livez'), {
      kind: 'method-not-allowed',
      template: '/livez',
      allow: ['GET', 'HEAD'],
    });
  });

  test('unknown paths are not found', () => {
    for (const path of [
      '/',
      '',
      'livez',
      '/livez/',
      '/LIVEZ',
      '/v1',
      '/v1/',
      '/v1//previews',
      '/v1/previews/',
      '/v1/previews/x/artifacts',
      '/v1/previews/x/other/y',
      '/v2/queue',
      '/v1/queue/x',
    ]) {
      assert.deepEqual(matchRoute('GET', path), { kind: 'not-found' }, path);
    }
  });
});

describe('isAuthorized', () => {
  test('accepts exactly the bearer token', () => {
    assert.equal(isAuthorized('Bearer s3cret-token', 's3cret-token'), true);
    assert.equal(isAuthorized('bearer s3cret-token', 's3cret-token'), true);
  });
  test('refuses everything else', () => {
    for (const header of [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      's3cret-token',
      'Basic s3cret-token',
      'Bearer s3cret-toke',
      'Bearer s3cret-token2',
      'Bearer S3CRET-TOKEN',
      'Bearer s3cret-token extra',
    ]) {
      assert.equal(isAuthorized(header, 's3cret-token'), false, String(header));
    }
  });
});

describe('isRedisUnavailableError', () => {
  test('recognises ioredis and socket connection failures', () => {
    assert.equal(isRedisUnavailableError(new Error('Connection is closed.')), true);
    assert.equal(
      isRedisUnavailableError(new Error("Stream isn't writeable and enableOfflineQueue options is false")),
      true,
    );
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    assert.equal(isRedisUnavailableError(refused), true);
    const maxRetries = new Error('Reached the max retries per request limit (which is 1).');
    maxRetries.name = 'MaxRetriesPerRequestError';
    assert.equal(isRedisUnavailableError(maxRetries), true);
  });
  test('does not treat other errors as Redis outages', () => {
    assert.equal(isRedisUnavailableError(new Error('boom')), false);
    assert.equal(isRedisUnavailableError('Connection is closed.'), false);
    assert.equal(isRedisUnavailableError(new TypeError('x is undefined')), false);
  });
});
