/**
 * The operator scripts for real: scripts/test-verification-scripts.sh (which runs every wrapper
 * against the Kubernetes API simulator, a stand-in worker and a stand-in docker) passes, and
 * shellcheck passes on scripts/*.sh and on the bash `run:` blocks of the GitHub workflows.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { ensureBuilt, REPO_ROOT } from '../support/cli.js';
import { requireTool } from '../support/tools.js';

function shellcheck(args: string[]): { status: number | null; output: string } {
  const r = spawnSync(requireTool('shellcheck'), args, { cwd: REPO_ROOT, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

before(() => {
  ensureBuilt();
});

describe('scripts', () => {
  test('shellcheck passes on scripts/*.sh', () => {
    const files = readdirSync(join(REPO_ROOT, 'scripts'))
      .filter((f) => f.endsWith('.sh'))
      .map((f) => join('scripts', f));
    assert.equal(files.length, 4);
    const r = shellcheck(['--severity=style', ...files]);
    assert.equal(r.status, 0, r.output);
  });

  test('shellcheck passes on the workflows’ bash run: blocks', () => {
    const dir = join(REPO_ROOT, '.github', 'workflows');
    const work = mkdtempSync(join(tmpdir(), 'workflow-run-'));
    try {
      const files: string[] = [];
      for (const f of readdirSync(dir)) {
        const wf = parse(readFileSync(join(dir, f), 'utf8')) as {
          jobs: Record<string, { steps?: Array<{ run?: string; shell?: string }> }>;
        };
        for (const [job, j] of Object.entries(wf.jobs)) {
          (j.steps ?? []).forEach((s, i) => {
            if (typeof s.run !== 'string' || (s.shell && s.shell !== 'bash')) return;
            const path = join(work, `${f}-${job}-${i}.sh`);
            // GitHub runs these with bash -e; ${{ }} expressions become a placeholder word.
            writeFileSync(
              path,
              `#!/usr/bin/env bash\nset -e\n${s.run.replace(/\$\{\{[^}]*\}\}/g, 'EXPR')}\n`,
            );
            files.push(path);
          });
        }
      }
      assert.ok(files.length >= 10, `${files.length} run blocks`);
      // SC2129 (group redirects) is a style preference; SC2016 flags the intentional literal backticks.
      const r = shellcheck(['--exclude=SC2129,SC2016', ...files]);
      assert.equal(r.status, 0, r.output);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  test('test-verification-scripts.sh exercises every wrapper and reports "N passed, 0 failed"', async () => {
    const result = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn('bash', [join(REPO_ROOT, 'scripts', 'test-verification-scripts.sh')], {
        cwd: REPO_ROOT,
        env: { ...process.env, NO_COLOR: '1', KUBECONFIG: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        out += d;
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, out }));
    });
    assert.equal(result.code, 0, result.out);
    const last = result.out.trim().split('\n').at(-1) ?? '';
    const m = /^(\d+) passed, (\d+) failed$/.exec(last);
    assert.ok(m, `last line: ${last}`);
    assert.equal(Number(m![2]), 0, result.out);
    assert.ok(Number(m![1]) >= 20, result.out);
    for (const wrapper of ['verify-deployment.sh', 'deploy-preview-worker.sh', 'build-and-push.sh']) {
      assert.match(result.out, new RegExp(`ok {3}${wrapper.replace('.', '\\.')} --help`));
    }
    assert.match(result.out, /ok {3}verify-deployment\.sh on a crash-looping rollout \(exit 1\)/);
    assert.match(result.out, /ok {3}verify-deployment\.sh with an unreachable cluster \(exit 5\)/);
    assert.match(result.out, /ok {3}the token went to docker login's stdin only/);
  });
});
