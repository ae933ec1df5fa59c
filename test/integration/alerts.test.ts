/**
 * The alert rules under promtool (Debian package `prometheus`): `promtool check rules` on the generated
 * rules file and `promtool test rules` with the generated unit tests (every alert, firing and not firing),
 * for every environment. Then mutation checks: with one alert's expression replaced by one that never
 * fires, or always fires, promtool must report that alert, so the tests have teeth.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildPromtoolTests } from '../../src/deploy/manifests/alert-tests.js';
import { ALERT_NAMES, buildPrometheusRulesFile, runbookAnchor } from '../../src/deploy/manifests/alerts.js';
import { toYamlDocument } from '../../src/deploy/manifests/canonical.js';
import {
  type Environment,
  listEnvironments,
  loadEnvironment,
} from '../../src/deploy/manifests/environment.js';
import { requireTool } from '../support/tools.js';

interface Run {
  status: number | null;
  output: string;
}

function promtool(bin: string, args: string[], cwd: string): Run {
  const r = spawnSync(bin, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

function writeRules(
  dir: string,
  env: Environment,
  mutate?: (rules: ReturnType<typeof buildPrometheusRulesFile>) => void,
) {
  const rules = buildPrometheusRulesFile(env);
  mutate?.(rules);
  writeFileSync(join(dir, 'rules.yaml'), toYamlDocument(rules));
  writeFileSync(join(dir, 'tests.yaml'), toYamlDocument(buildPromtoolTests(env, 'rules.yaml')));
}

describe('alert rules under promtool', () => {
  let bin: string;
  let dir: string;
  before(() => {
    bin = requireTool('promtool');
    dir = mkdtempSync(join(tmpdir(), 'alerts-promtool-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const name of listEnvironments()) {
    it(`${name}: promtool check rules and test rules pass`, () => {
      const env = loadEnvironment(name);
      writeRules(dir, env);
      const check = promtool(bin, ['check', 'rules', 'rules.yaml'], dir);
      assert.equal(check.status, 0, check.output);
      assert.match(check.output, new RegExp(`SUCCESS: ${ALERT_NAMES.length} rules found`));
      const test = promtool(bin, ['test', 'rules', 'tests.yaml'], dir);
      assert.equal(test.status, 0, test.output);
      assert.match(test.output, /SUCCESS/);
    });
  }

  it('every alert has unit tests that expect it to fire and tests that expect silence', () => {
    const tests = buildPromtoolTests(loadEnvironment('production'), 'rules.yaml').tests;
    for (const alert of ALERT_NAMES) {
      const checks = tests.flatMap((t) => t.alert_rule_test).filter((c) => c.alertname === alert);
      assert.ok(
        checks.some((c) => c.exp_alerts.length > 0),
        `${alert} has a firing test`,
      );
      assert.ok(
        checks.some((c) => c.exp_alerts.length === 0),
        `${alert} has a not-firing test`,
      );
    }
  });

  it('the committed promtool files pass as they are (promtool test rules deploy/alerts/tests/*.test.yaml)', () => {
    const alertsDir = join(import.meta.dirname, '..', '..', 'deploy', 'alerts');
    for (const name of listEnvironments()) {
      const check = promtool(bin, ['check', 'rules', `${name}.rules.yaml`], alertsDir);
      assert.equal(check.status, 0, check.output);
      const test = promtool(bin, ['test', 'rules', join('tests', `${name}.test.yaml`)], alertsDir);
      assert.equal(test.status, 0, test.output);
    }
  });

  for (const alert of ALERT_NAMES) {
    it(`${alert}: the tests fail when the rule never fires or always fires`, () => {
      const env = loadEnvironment('production');
      for (const expr of ['vector(1) == 2', 'vector(1)']) {
        writeRules(dir, env, (rules) => {
          for (const g of rules.groups) for (const r of g.rules) if (r.alert === alert) r.expr = expr;
        });
        const test = promtool(bin, ['test', 'rules', 'tests.yaml'], dir);
        assert.notEqual(test.status, 0, `promtool accepted ${alert} with expr ${expr}`);
        assert.match(
          test.output,
          new RegExp(`alertname: ${alert},`),
          `promtool names ${alert} for expr ${expr}`,
        );
        const others = ALERT_NAMES.filter(
          (a) => a !== alert && new RegExp(`alertname: ${a},`).test(test.output),
        );
        assert.deepEqual(others, [], 'only the mutated alert fails');
      }
    });
  }

  it('every runbook_url points at a section of docs/RUNBOOKS.md', () => {
    const runbooks = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'RUNBOOKS.md'), 'utf8');
    const anchors = new Set(
      [...runbooks.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
        m[1]!
          .trim()
          .toLowerCase()
          .replace(/[^\w\- ]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    for (const alert of ALERT_NAMES) {
      assert.ok(anchors.has(runbookAnchor(alert)), `docs/RUNBOOKS.md has a "## ${alert}" section`);
    }
  });
});
