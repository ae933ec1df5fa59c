/**
 * verify's evidence lines: what a person reads at 3 a.m. is the message of a Kubernetes Status or of
 * the worker's JSON error, not the raw JSON.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shortBody } from '../../src/deploy/health/verify-evidence.js';

describe('verify evidence (shortBody)', () => {
  it('shows the message and reason of a Kubernetes Status', () => {
    const status = JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'error trying to reach service: dial tcp 10.244.0.14:3000: connect: connection refused',
      reason: 'ServiceUnavailable',
      code: 503,
    });
    assert.equal(
      shortBody(status),
      'error trying to reach service: dial tcp 10.244.0.14:3000: connect: connection refused (ServiceUnavailable)',
    );
  });
  it("shows the worker's JSON error message with its error code", () => {
    assert.equal(shortBody('{"error":"not_ready","message":"shutting down"}'), 'shutting down (not_ready)');
  });
  it('keeps other bodies as text, whitespace folded and shortened to 200 characters', () => {
    assert.equal(shortBody('  service\n unavailable '), 'service unavailable');
    assert.equal(shortBody('{not json'), '{not json');
    const long = shortBody('x'.repeat(500));
    assert.equal(long.length, 201);
    assert.ok(long.endsWith('…'));
  });
});
