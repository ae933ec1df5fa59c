import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  invocationOf,
  localizeInvocation,
  shellWord,
  targetOptions,
} from '../../src/deploy/cli/invocation.js';

describe('the invocation hints print', () => {
  it('a checkout: node and the script as seen from the current directory', () => {
    assert.equal(invocationOf('/src/repo/cli/mobius-deploy.js', '/src/repo'), 'node cli/mobius-deploy.js');
    assert.equal(
      invocationOf('/src/repo/cli/mobius-deploy.js', '/elsewhere'),
      'node /src/repo/cli/mobius-deploy.js',
    );
    assert.equal(
      invocationOf('/my repo/cli/mobius-deploy.js', '/tmp'),
      "node '/my repo/cli/mobius-deploy.js'",
    );
  });
  it('the installed bin (link on PATH, the package in node_modules), or anything else: mobius-deploy', () => {
    assert.equal(invocationOf('/usr/local/bin/mobius-deploy', '/src/repo'), 'mobius-deploy');
    assert.equal(
      invocationOf('/app/node_modules/mobius-preview-worker/cli/mobius-deploy.js', '/app'),
      'mobius-deploy',
    );
    assert.equal(invocationOf('/src/repo/test/run.mjs', '/src/repo'), 'mobius-deploy');
    assert.equal(invocationOf(undefined, '/'), 'mobius-deploy');
  });
  it('rewrites commands, leaves names that only contain the word and titles', () => {
    const node = 'node cli/mobius-deploy.js';
    assert.equal(
      localizeInvocation(
        'see `mobius-deploy history -n x` or mobius-deploy --help; (mobius-deploy <command> --help)',
        node,
      ),
      'see `node cli/mobius-deploy.js history -n x` or node cli/mobius-deploy.js --help; (node cli/mobius-deploy.js <command> --help)',
    );
    for (const text of [
      'Lease mobius-deploy-lock held by ci',
      'schema mobius-deploy/report@1',
      'mobius-deploy doctor: namespace production',
      'field manager mobius-deploy.',
    ]) {
      assert.equal(localizeInvocation(text, node), text);
    }
    assert.equal(localizeInvocation('mobius-deploy status', 'mobius-deploy'), 'mobius-deploy status');
    assert.equal(
      localizeInvocation('run mobius-deploy history. Then mobius-deploy incident open --level 2', node),
      'run node cli/mobius-deploy.js history. Then node cli/mobius-deploy.js incident open --level 2',
    );
  });
  it('target options: -n always, the rest as given, quoted for the shell', () => {
    assert.equal(targetOptions({ namespace: 'production' }), '-n production');
    assert.equal(
      targetOptions({
        namespace: 'p',
        ledgerDir: '/tmp/my ledger',
        context: 'kind-prod',
        kubeconfig: 'k.yaml',
      }),
      "-n p --ledger-dir '/tmp/my ledger' --context kind-prod --kubeconfig k.yaml",
    );
    assert.equal(shellWord("it's"), "'it'\\''s'");
  });
});
