import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from 'commander';
import {
  DEFAULT_NAMESPACE,
  describeNamespace,
  durationParser,
  parseNonNegativeInt,
  parsePercent,
  resolveGlobalOptions,
} from '../../src/deploy/cli/global-options.js';
import { ConfigError, UsageError } from '../../src/deploy/errors.js';
import { createColors, shouldUseColor, stripAnsi, visibleWidth } from '../../src/deploy/output/color.js';
import { humanDuration, parseDuration } from '../../src/deploy/output/duration.js';
import { renderTable } from '../../src/deploy/output/table.js';

describe('namespace resolution', () => {
  const envLoader = (ns: string) => async (name: string) => {
    if (name !== 'production') throw new Error(`deploy/environments/${name}.yaml does not exist`);
    return { namespace: ns };
  };
  it('defaults to preview-worker', async () => {
    const g = await resolveGlobalOptions({}, { env: {} });
    assert.equal(g.namespace, DEFAULT_NAMESPACE);
    assert.equal(g.namespaceSource, 'default');
    assert.equal(g.output, 'table');
    assert.equal(g.colorFlag, true);
  });
  it('$MOBIUS_NAMESPACE beats the default', async () => {
    const g = await resolveGlobalOptions({}, { env: { MOBIUS_NAMESPACE: 'staging' } });
    assert.deepEqual([g.namespace, g.namespaceSource], ['staging', 'MOBIUS_NAMESPACE']);
  });
  it('-e beats $MOBIUS_NAMESPACE and loads the environment', async () => {
    const g = await resolveGlobalOptions(
      { env: 'production' },
      { env: { MOBIUS_NAMESPACE: 'staging' }, loadEnvironment: envLoader('production') },
    );
    assert.deepEqual(
      [g.namespace, g.namespaceSource, g.environment],
      ['production', 'environment-file', 'production'],
    );
    assert.deepEqual(g.environmentConfig, { namespace: 'production' });
  });
  it('-n beats -e', async () => {
    const g = await resolveGlobalOptions(
      { env: 'production', namespace: 'other' },
      { env: {}, loadEnvironment: envLoader('production') },
    );
    assert.deepEqual([g.namespace, g.namespaceSource], ['other', 'flag']);
  });
  it("the kubeconfig context's namespace: after $MOBIUS_NAMESPACE, before the default (like kubectl)", async () => {
    let asked = 0;
    const contextNamespace = async () => {
      asked += 1;
      return { context: 'kind-prod', namespace: 'production' };
    };
    const g = await resolveGlobalOptions({}, { env: {}, contextNamespace });
    assert.deepEqual(
      [g.namespace, g.namespaceSource, g.namespaceContext],
      ['production', 'kubeconfig-context', 'kind-prod'],
    );
    assert.equal(describeNamespace(g), 'namespace production (from the kubeconfig context kind-prod)');
    // Anything before it wins, and then the kubeconfig is not even asked (no read for -n, -e).
    asked = 0;
    const flag = await resolveGlobalOptions({ namespace: 'other' }, { env: {}, contextNamespace });
    const envVar = await resolveGlobalOptions({}, { env: { MOBIUS_NAMESPACE: 'staging' }, contextNamespace });
    const envFile = await resolveGlobalOptions(
      { env: 'production' },
      { env: {}, contextNamespace, loadEnvironment: envLoader('prod-ns') },
    );
    assert.deepEqual(
      [flag.namespaceSource, envVar.namespaceSource, envFile.namespaceSource, asked],
      ['flag', 'MOBIUS_NAMESPACE', 'environment-file', 0],
    );
    assert.equal(describeNamespace(flag), 'namespace other (from -n/--namespace)');
    assert.equal(describeNamespace(envVar), 'namespace staging (from $MOBIUS_NAMESPACE)');
    assert.equal(
      describeNamespace(envFile),
      'namespace prod-ns (from the environment file deploy/environments/production.yaml)',
    );
  });
  it('a context without a namespace, or no kubeconfig, leaves the default', async () => {
    for (const answer of [{ context: 'kind' }, undefined]) {
      const g = await resolveGlobalOptions({}, { env: {}, contextNamespace: async () => answer });
      assert.deepEqual(
        [g.namespace, g.namespaceSource, g.namespaceContext],
        [DEFAULT_NAMESPACE, 'default', undefined],
      );
      assert.match(describeNamespace(g), /^namespace preview-worker \(the default: no -n, -e/);
    }
  });
  it('an invalid context namespace is a usage error naming the context', async () => {
    await assert.rejects(
      resolveGlobalOptions(
        {},
        { env: {}, contextNamespace: async () => ({ context: 'c', namespace: 'Bad_NS' }) },
      ),
      /Invalid namespace "Bad_NS" \(from the kubeconfig context c\)/,
    );
  });
  it('a missing environment file is a ConfigError naming it', async () => {
    await assert.rejects(
      resolveGlobalOptions({ env: 'qa' }, { env: {}, loadEnvironment: envLoader('x') }),
      (err: Error) => {
        assert.ok(err instanceof ConfigError);
        assert.match(
          err.message,
          /Cannot load environment "qa": deploy\/environments\/qa\.yaml does not exist/,
        );
        return true;
      },
    );
  });
  it('rejects invalid namespaces and environment names with a usage error', async () => {
    await assert.rejects(resolveGlobalOptions({ namespace: 'Prod_1' }, { env: {} }), UsageError);
    await assert.rejects(
      resolveGlobalOptions({}, { env: { MOBIUS_NAMESPACE: '-x' } }),
      /from \$MOBIUS_NAMESPACE/,
    );
    await assert.rejects(resolveGlobalOptions({ env: '../etc' }, { env: {} }), UsageError);
  });
  it('passes context, kubeconfig, quiet, verbose, --no-color through', async () => {
    const g = await resolveGlobalOptions(
      { context: 'c1', kubeconfig: '/k', quiet: true, verbose: true, color: false, output: 'json' },
      { env: {} },
    );
    assert.deepEqual(
      [g.context, g.kubeconfig, g.quiet, g.verbose, g.colorFlag, g.output],
      ['c1', '/k', true, true, false, 'json'],
    );
  });
});

describe('colour rules', () => {
  it('colour only on a TTY, without NO_COLOR and without --no-color', () => {
    assert.equal(shouldUseColor({ colorFlag: true, isTTY: true, env: {} }), true);
    assert.equal(shouldUseColor({ colorFlag: true, isTTY: false, env: {} }), false);
    assert.equal(shouldUseColor({ colorFlag: true, isTTY: undefined, env: {} }), false);
    assert.equal(shouldUseColor({ colorFlag: false, isTTY: true, env: {} }), false);
    assert.equal(shouldUseColor({ colorFlag: true, isTTY: true, env: { NO_COLOR: '1' } }), false);
    assert.equal(shouldUseColor({ colorFlag: true, isTTY: true, env: { NO_COLOR: '' } }), true);
    assert.equal(shouldUseColor({ colorFlag: true, isTTY: true, env: { TERM: 'dumb' } }), false);
    assert.equal(shouldUseColor({ colorFlag: true, isTTY: false, env: { FORCE_COLOR: '1' } }), true);
    assert.equal(shouldUseColor({ colorFlag: false, isTTY: false, env: { FORCE_COLOR: '1' } }), false);
  });
  it('colours are ANSI codes when enabled and identity otherwise', () => {
    assert.equal(createColors(false).red('x'), 'x');
    assert.equal(createColors(true).red('x'), '\u001b[31mx\u001b[39m');
    assert.equal(stripAnsi(createColors(true).bold('ab')), 'ab');
    assert.equal(visibleWidth(createColors(true).green('abc')), 3);
  });
});

describe('option parsers', () => {
  it('durations', () => {
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('2d'), 172_800_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('15', 'm'), 900_000);
    assert.equal(parseDuration('15'), 15_000);
    assert.equal(parseDuration('15x'), undefined);
    assert.equal(parseDuration('m'), undefined);
    assert.equal(durationParser('m')('60'), 3_600_000);
    assert.throws(() => durationParser()('soon'), InvalidArgumentError);
  });
  it('numbers and percentages', () => {
    assert.equal(parseNonNegativeInt('0'), 0);
    assert.throws(() => parseNonNegativeInt('-1'), InvalidArgumentError);
    assert.throws(() => parseNonNegativeInt('1.5'), InvalidArgumentError);
    assert.equal(parsePercent('80'), 80);
    assert.equal(parsePercent('92.5%'), 92.5);
    assert.throws(() => parsePercent('lots'), InvalidArgumentError);
  });
  it('ages like kubectl', () => {
    assert.equal(humanDuration(45_000), '45s');
    assert.equal(humanDuration(5 * 60_000 + 30_000), '5m30s');
    assert.equal(humanDuration(45 * 60_000), '45m');
    assert.equal(humanDuration(5 * 3_600_000 + 10 * 60_000), '5h10m');
    assert.equal(humanDuration(30 * 3_600_000), '30h');
    assert.equal(humanDuration(3 * 86_400_000 + 3_600_000), '3d1h');
    assert.equal(humanDuration(100 * 86_400_000), '100d');
  });
});

describe('renderTable', () => {
  it('aligns columns, upper-cases headers, right-aligns numbers', () => {
    const t = renderTable(
      [{ header: 'name' }, { header: 'restarts', align: 'right' }, { header: 'reason' }],
      [
        ['a', '0', ''],
        ['longer-name', '12', 'CrashLoopBackOff'],
      ],
    );
    assert.equal(
      t,
      'NAME          RESTARTS   REASON\na                    0\nlonger-name         12   CrashLoopBackOff\n',
    );
  });
  it('truncates the flex column to the terminal width and ignores colour codes when measuring', () => {
    const c = createColors(true);
    const t = renderTable(
      [{ header: 'name' }, { header: 'message', flex: true }],
      [[c.red('x'), 'y'.repeat(100)]],
      { width: 40 },
    );
    for (const line of t.trimEnd().split('\n')) assert.ok(visibleWidth(line) <= 40, line);
    assert.match(t, /…/);
  });
});
