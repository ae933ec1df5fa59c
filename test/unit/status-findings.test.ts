/**
 * status's findings (health/findings.ts): each names the docs/RUNBOOKS.md section to open, and every
 * section named exists (as GitHub anchors a heading); messages count in the right number ("1 pod
 * failing its readiness probe") and say the threshold they crossed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PACKAGE_ROOT } from '../../src/deploy/cli/main.js';
import {
  computeFindings,
  FINDING_CODES,
  POD_PROBLEM_REASONS,
  runbookFor,
  runbookForFailureClass,
} from '../../src/deploy/health/findings.js';
import {
  DEFAULT_THRESHOLDS,
  type DeploymentSummary,
  type PodSummary,
  type ResourcesSummary,
} from '../../src/deploy/health/status-types.js';
import type { RolloutFailureClass } from '../../src/deploy/kube/rollout-watch.js';

/** The anchors GitHub gives the headings of a markdown file. */
function anchorsOf(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const line of markdown.split('\n')) {
    const m = /^#{1,6}\s+(.*)$/.exec(line);
    if (!m) continue;
    out.add(
      m[1]
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    );
  }
  return out;
}

const deployment = (over: Partial<DeploymentSummary> = {}): DeploymentSummary => ({
  name: 'preview-worker',
  images: ['img:1'],
  paused: false,
  selector: 'app=x',
  replicas: { desired: 2, current: 2, updated: 2, ready: 2, available: 2, unavailable: 0 },
  rollout: { done: true, phase: 'complete', message: 'done' } as DeploymentSummary['rollout'],
  conditions: [],
  ...over,
});
const pod = (name: string, reason: string): PodSummary =>
  ({
    name,
    phase: 'Running',
    status: reason,
    ready: '0/1',
    restarts: 0,
    images: ['img:1'],
    health: { state: 'unhealthy', reason, message: 'probe failed' },
  }) as unknown as PodSummary;
const noResources: ResourcesSummary = { available: true, pods: [] };

describe('status findings', () => {
  it('every finding code (and every pod reason) names a docs/RUNBOOKS.md section that exists', () => {
    const anchors = anchorsOf(readFileSync(join(PACKAGE_ROOT, 'docs/RUNBOOKS.md'), 'utf8'));
    const codes = new Set([...FINDING_CODES, ...POD_PROBLEM_REASONS.map((r) => `pods-${r.toLowerCase()}`)]);
    for (const code of codes) {
      const runbook = runbookFor(code);
      assert.ok(runbook, `finding ${code} names no runbook section`);
      const [file, anchor] = runbook.split('#');
      assert.equal(file, 'docs/RUNBOOKS.md');
      assert.ok(anchors.has(anchor), `docs/RUNBOOKS.md has no section #${anchor} (for ${code})`);
    }
  });

  it('a failed deploy names the section for its failure class', () => {
    const anchors = anchorsOf(readFileSync(join(PACKAGE_ROOT, 'docs/RUNBOOKS.md'), 'utf8'));
    const classes = [
      'CrashLoopBackOff',
      'ImagePullBackOff',
      'ErrImagePull',
      'InvalidImageName',
      'CreateContainerConfigError',
      'CreateContainerError',
      'RunContainerError',
      'OOMKilled',
      'Unschedulable',
      'ProgressDeadlineExceeded',
      'Timeout',
      'VerifyFailed',
    ] satisfies (RolloutFailureClass | 'VerifyFailed')[];
    for (const failureClass of classes) {
      const runbook = runbookForFailureClass(failureClass);
      assert.ok(runbook && anchors.has(runbook.split('#')[1]), `${failureClass}: ${runbook}`);
    }
    assert.equal(runbookForFailureClass('CrashLoopBackOff'), 'docs/RUNBOOKS.md#previewworkercrashlooping');
  });

  it('a finding carries its runbook; one pod is "1 pod ... its", two are "2 pods ... their"', () => {
    const one = computeFindings(
      deployment(),
      [pod('a', 'ReadinessProbeFailed')],
      noResources,
      null,
      null,
      DEFAULT_THRESHOLDS,
      Date.now(),
    );
    assert.equal(one[0].message, '1 pod failing its readiness probe (a): probe failed');
    assert.equal(one[0].runbook, 'docs/RUNBOOKS.md#previewworkerdown');
    const two = computeFindings(
      deployment(),
      [pod('a', 'ImagePullBackOff'), pod('b', 'ImagePullBackOff')],
      noResources,
      null,
      null,
      DEFAULT_THRESHOLDS,
      Date.now(),
    );
    assert.match(two[0].message, /^2 pods failing to pull their image/);
  });

  it('the memory warning says the threshold it crossed', () => {
    const figure = { usage: 91, limit: 100, pctOfLimit: 91 };
    const f = computeFindings(
      deployment(),
      [],
      { available: true, pods: [{ pod: 'p', cpu: { usage: 1 }, memory: figure, containers: [] }] },
      null,
      null,
      { ...DEFAULT_THRESHOLDS, warnMemoryPercent: 85 },
      Date.now(),
    );
    assert.equal(f[0].message, 'pod p memory at 91% of limit (warn above 85%, critical at 95%)');
    assert.equal(f[0].runbook, 'docs/RUNBOOKS.md#previewworkermemorynearlimit');
  });
});
