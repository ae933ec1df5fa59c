import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AccessDeniedError,
  ClusterUnreachableError,
  CredentialsError,
  ExitCode,
  NamespaceNotFoundError,
} from '../../src/deploy/errors.js';
import { isRetryable, KubeApiError, mapKubeError, withRetry } from '../../src/deploy/kube/errors.js';
import { describePath } from '../../src/deploy/kube/resources/paths.js';

const target = { server: 'https://api.prod.example:6443', context: 'prod-admin' };
const req = describePath('GET', '/api/v1/namespaces/production/pods');

describe('mapKubeError', () => {
  it('connection refused → ClusterUnreachableError (exit 5) naming the server and context', () => {
    const err = mapKubeError(
      Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6443'), { code: 'ECONNREFUSED' }),
      target,
    );
    assert.ok(err instanceof ClusterUnreachableError);
    assert.equal((err as ClusterUnreachableError).exitCode, ExitCode.UNREACHABLE);
    assert.equal(
      err.message,
      'Cannot reach the Kubernetes API at https://api.prod.example:6443: connection refused. Check your kubeconfig context (prod-admin) and network.',
    );
  });
  it('DNS failures, timeouts and TLS problems are unreachable too, also inside a cause chain', () => {
    assert.match(
      mapKubeError(Object.assign(new Error('x'), { code: 'ENOTFOUND' }), target).message,
      /host not found/,
    );
    assert.match(
      mapKubeError(
        new Error('fetch failed', { cause: Object.assign(new Error('t'), { code: 'ETIMEDOUT' }) }),
        target,
      ).message,
      /timed out/,
    );
    assert.match(
      mapKubeError(Object.assign(new Error('self-signed'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), target)
        .message,
      /TLS certificate/,
    );
  });
  it('403 → AccessDeniedError with the verb, resource and namespace from the Status message', () => {
    const err = mapKubeError(
      new KubeApiError(
        403,
        {
          kind: 'Status',
          reason: 'Forbidden',
          code: 403,
          message:
            'pods is forbidden: User "system:serviceaccount:ci:deployer" cannot list resource "pods" in API group "" in the namespace "production"',
          details: { kind: 'pods' },
        },
        req,
      ),
      target,
    );
    assert.ok(err instanceof AccessDeniedError);
    assert.equal(
      err.message,
      'Access denied: you cannot list pods in namespace production (RBAC verb list, resource pods).',
    );
    assert.match((err as AccessDeniedError).hint ?? '', /Ask a cluster admin to grant it/);
  });
  it('403 in an API group and on a subresource names them', () => {
    const err = mapKubeError(
      new KubeApiError(
        403,
        {
          message:
            'deployments.apps "w" is forbidden: User "u" cannot patch resource "deployments" in API group "apps" in the namespace "staging"',
        },
        describePath('PATCH', '/apis/apps/v1/namespaces/staging/deployments/w'),
      ),
      target,
    ) as AccessDeniedError;
    assert.deepEqual([err.verb, err.resource, err.namespace], ['patch', 'deployments.apps', 'staging']);
    const proxy = mapKubeError(
      new KubeApiError(
        403,
        undefined,
        describePath('GET', '/api/v1/namespaces/p/pods/w-1:3000/proxy/metrics'),
      ),
      target,
    ) as AccessDeniedError;
    assert.deepEqual([proxy.verb, proxy.resource, proxy.namespace], ['get', 'pods/proxy', 'p']);
  });
  it('401 → CredentialsError (exit 5)', () => {
    const err = mapKubeError(new KubeApiError(401, { message: 'Unauthorized' }, req), target);
    assert.ok(err instanceof CredentialsError);
    assert.equal((err as CredentialsError).exitCode, 5);
  });
  it('404 on the namespace → NamespaceNotFoundError; other 404s pass through', () => {
    const ns = mapKubeError(
      new KubeApiError(
        404,
        {
          reason: 'NotFound',
          details: { kind: 'namespaces', name: 'prod' },
          message: 'namespaces "prod" not found',
        },
        req,
      ),
      target,
    );
    assert.ok(ns instanceof NamespaceNotFoundError);
    assert.equal(ns.message, 'Namespace prod does not exist in this cluster.');
    const other = new KubeApiError(404, { reason: 'NotFound', details: { kind: 'deployments' } }, req);
    assert.equal(mapKubeError(other, target), other);
  });
  it('understands @kubernetes/client-node ApiException shapes (code + JSON body string)', () => {
    const apiException = Object.assign(new Error('HTTP-Code: 403'), {
      code: 403,
      body: JSON.stringify({
        message:
          'pods "x" is forbidden: User "u" cannot get resource "pods/log" in API group "" in the namespace "production"',
      }),
    });
    const err = mapKubeError(apiException, target) as AccessDeniedError;
    assert.deepEqual([err.verb, err.resource], ['get', 'pods/log']);
  });
});

describe('describePath', () => {
  it('derives RBAC verb, resource, namespace and name', () => {
    assert.deepEqual(
      { ...describePath('GET', '/apis/apps/v1/namespaces/prod/deployments/preview-worker') },
      {
        method: 'GET',
        path: '/apis/apps/v1/namespaces/prod/deployments/preview-worker',
        namespace: 'prod',
        name: 'preview-worker',
        resource: 'deployments.apps',
        verb: 'get',
      },
    );
    assert.equal(describePath('GET', '/api/v1/namespaces/prod/pods?watch=true').verb, 'watch');
    assert.equal(describePath('DELETE', '/api/v1/namespaces/prod/pods').verb, 'deletecollection');
    assert.equal(describePath('GET', '/api/v1/namespaces/prod').namespace, 'prod');
  });
});

describe('retries of idempotent requests', () => {
  it('retries 429, 5xx and dropped connections, not 4xx', () => {
    assert.equal(isRetryable(new KubeApiError(500, undefined, req)), true);
    assert.equal(isRetryable(new KubeApiError(429, undefined, req)), true);
    assert.equal(isRetryable(new KubeApiError(503, undefined, req)), true);
    assert.equal(isRetryable(new KubeApiError(501, undefined, req)), false);
    assert.equal(isRetryable(new KubeApiError(404, undefined, req)), false);
    assert.equal(isRetryable(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })), true);
    assert.equal(isRetryable(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })), false);
  });
  it('withRetry backs off exponentially, honours Retry-After, and gives up after the attempts', async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        if (calls === 1) throw new KubeApiError(429, undefined, req, 1);
        if (calls === 2) throw new KubeApiError(500, undefined, req);
        return 'ok';
      },
      { sleep: async (ms) => void delays.push(ms), baseDelayMs: 100, maxDelayMs: 5000 },
    );
    assert.equal(result, 'ok');
    assert.equal(calls, 3);
    assert.equal(delays[0], 1000); // Retry-After: 1
    assert.ok(delays[1] >= 200 && delays[1] <= 250, String(delays[1]));
    let n = 0;
    await assert.rejects(
      withRetry(
        async () => {
          n++;
          throw new KubeApiError(503, undefined, req);
        },
        { attempts: 3, sleep: async () => {} },
      ),
      KubeApiError,
    );
    assert.equal(n, 3);
    let m = 0;
    await assert.rejects(
      withRetry(
        async () => {
          m++;
          throw new KubeApiError(404, undefined, req);
        },
        { sleep: async () => {} },
      ),
    );
    assert.equal(m, 1);
  });
});
