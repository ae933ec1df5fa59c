/**
 * The rollback target (release/rollback-target.ts) and the revision verdicts it stands on
 * (release/revision-verdicts.ts): pure functions over revisions and ledger records.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ActionRequiredError, UsageError } from '../../src/deploy/errors.js';
import type { DeploymentRecord } from '../../src/deploy/ledger/index.js';
import { evidenceOf, judgeRevisions, type RevisionInfo } from '../../src/deploy/release/revision-verdicts.js';
import {
  chooseCommand,
  chooseRollbackTarget,
  NoVerifiedGoodRevisionError,
} from '../../src/deploy/release/rollback-target.js';

const CTX = { namespace: 'production', deployment: 'preview-worker' };
const OK = { passed: true, total: 5, failed: 0, failedChecks: [] };
let seq = 0;

function rec(fields: Partial<DeploymentRecord> & { at: string }): DeploymentRecord {
  const { at, ...rest } = fields;
  seq += 1;
  return {
    schemaVersion: 1,
    id: `r${seq}`,
    kind: 'deploy',
    namespace: 'production',
    deployment: 'preview-worker',
    actor: 'test',
    startedAt: at,
    finishedAt: at,
    phases: {},
    result: 'succeeded',
    ...rest,
  } as DeploymentRecord;
}

const good = (image: string, revisionAfter: number, at: string) =>
  rec({ image, revisionAfter, result: 'succeeded', verify: OK, at });

/** deploy of `image` rolled out as `rollout`, crash-looped, restored to `restored` (verified). */
const rolledBack = (image: string, rollout: number, restored: number, toImage: string, at: string) =>
  rec({
    image,
    rolloutRevision: rollout,
    revisionAfter: restored,
    result: 'rolled_back',
    failureClass: 'CrashLoopBackOff',
    failureDetectedAt: at,
    restoredAt: at,
    rollback: { toRevision: restored - 2, toImage, result: 'succeeded' },
    at,
  });

const revs = (...pairs: [number, string][]): RevisionInfo[] =>
  pairs.map(([revision, image]) => ({ revision, image }));

describe('revision verdicts', () => {
  it('marks verified deploys good, a deploy that failed failed, and revisions without records unknown', () => {
    const records = [
      good('img:1', 1, '2026-11-01T00:00:00Z'),
      good('img:2', 2, '2026-11-02T00:00:00Z'),
      rolledBack('img:3', 3, 4, 'img:2', '2026-11-03T00:00:00Z'),
    ];
    const judged = judgeRevisions(revs([1, 'img:1'], [3, 'img:3'], [4, 'img:2'], [0, 'img:0']), 4, records);
    assert.deepEqual(
      judged.map((j) => [j.revision, j.verdict, j.current]),
      [
        [4, 'verified-good', true],
        [3, 'failed', false],
        [1, 'verified-good', false],
        [0, 'unknown', false],
      ],
    );
    assert.match(
      judged[1]?.evidence?.summary ?? '',
      /^deploy record r\d+ failed \(CrashLoopBackOff\) at 2026-11-03/,
    );
  });

  it('the newest evidence wins: a revision that failed and later verified is good, and the other way round', () => {
    const records = [
      rec({
        kind: 'rollback',
        image: 'img:1',
        revisionAfter: 5,
        result: 'failed',
        failureClass: 'CreateContainerConfigError',
        rollback: { result: 'failed', toImage: 'img:1' },
        at: '2026-11-05T00:00:00Z',
      }),
      good('img:1', 1, '2026-11-01T00:00:00Z'),
      good('img:2', 2, '2026-11-02T00:00:00Z'),
    ];
    const judged = judgeRevisions(revs([5, 'img:1'], [2, 'img:2']), 2, records);
    assert.equal(judged.find((j) => j.revision === 5)?.verdict, 'failed');
    const later = [good('img:1', 6, '2026-11-06T00:00:00Z'), ...records];
    assert.equal(judgeRevisions(revs([6, 'img:1'], [2, 'img:2']), 2, later)[0]?.verdict, 'verified-good');
  });

  it('old records without rolloutRevision are matched by image, and by the record-id annotation', () => {
    const old = rec({
      image: 'img:3',
      result: 'rolled_back',
      failureClass: 'ImagePullBackOff',
      failureDetectedAt: '2026-11-03T00:00:00Z',
      revisionAfter: 4,
      at: '2026-11-03T00:00:00Z',
    });
    const judged = judgeRevisions(
      [
        { revision: 3, image: 'img:3' },
        { revision: 7, image: 'img:x', recordId: old.id },
      ],
      8,
      [old],
    );
    assert.deepEqual(
      judged.map((j) => j.verdict),
      ['failed', 'failed'],
    );
  });

  it('a drill leg, a rollback and an automatic rollback give evidence; in-progress and skipped records none', () => {
    const drill = rec({ kind: 'drill', at: '2026-11-04T00:00:00Z' }) as DeploymentRecord & { drill: unknown };
    drill.drill = {
      rollback: { result: 'succeeded', revisionAfter: 5, image: 'img:1', durationMs: 10 },
      rollForward: {
        result: 'failed',
        revisionAfter: 6,
        image: 'img:2',
        durationMs: 10,
        failureMessage: 'x',
      },
    };
    assert.deepEqual(
      evidenceOf(drill).map((e) => [e.verdict, e.revision]),
      [
        ['verified-good', 5],
        ['failed', 6],
      ],
    );
    assert.deepEqual(evidenceOf(rec({ result: 'in_progress', image: 'a', at: '2026-11-01T00:00:00Z' })), []);
    assert.deepEqual(
      evidenceOf(rec({ kind: 'rollback', result: 'skipped', image: 'a', at: '2026-11-01T00:00:00Z' })),
      [],
    );
    const notTried = rec({
      image: 'img:5',
      rolloutRevision: 5,
      revisionAfter: 5,
      result: 'failed',
      failureDetectedAt: '2026-11-05T00:00:00Z',
      rollback: {
        result: 'failed',
        failureMessage: 'no revision is recorded as verified good; not rolled back',
      },
      at: '2026-11-05T00:00:00Z',
    });
    assert.deepEqual(
      evidenceOf(notTried).map((e) => [e.verdict, e.revision, e.own]),
      [['failed', 5, true]],
      'an automatic rollback that was not attempted says nothing about any revision',
    );
    const auto = evidenceOf(rolledBack('img:3', 3, 4, 'img:2', '2026-11-03T00:00:00Z'));
    assert.deepEqual(
      auto.map((e) => [e.verdict, e.revision, e.image]),
      [
        ['failed', 3, 'img:3'],
        ['verified-good', 4, 'img:2'],
      ],
    );
  });
});

describe('chooseRollbackTarget', () => {
  const records = [
    good('img:1', 1, '2026-11-01T00:00:00Z'),
    good('img:2', 2, '2026-11-02T00:00:00Z'),
    rolledBack('img:3', 3, 4, 'img:2', '2026-11-03T00:00:00Z'),
  ];
  // After the crash-looping 3 was rolled back: 2 became 4 (live); 3 crash-looped; 1 verified good.
  const judged = judgeRevisions(revs([4, 'img:2'], [3, 'img:3'], [1, 'img:1']), 4, records);

  it('defaults to the newest verified-good revision, skipping a newer one recorded as failed', () => {
    const t = chooseRollbackTarget(judged, { kind: 'verified-good' }, CTX);
    assert.equal(t.revision.revision, 1);
    assert.equal(t.choice, 'verified-good');
    assert.equal(t.warning, undefined);
    assert.match(
      t.why,
      /^revision 1 \(img:1\): deploy record r\d+ verified good at 2026-11-01T00:00:00Z; the newest verified-good revision$/,
    );
  });

  it('--previous takes the revision below the live one and warns when it is recorded as failed', () => {
    const t = chooseRollbackTarget(judged, { kind: 'previous' }, CTX);
    assert.equal(t.revision.revision, 3);
    assert.match(
      t.warning ?? '',
      /revision 3 is recorded as failed in the ledger \(deploy record r\d+ failed \(CrashLoopBackOff\)/,
    );
  });

  it('--to-revision takes that revision, warning when failed; an unknown number is a usage error', () => {
    assert.equal(chooseRollbackTarget(judged, { kind: 'explicit', revision: 1 }, CTX).warning, undefined);
    assert.ok(chooseRollbackTarget(judged, { kind: 'explicit', revision: 3 }, CTX).warning);
    assert.throws(() => chooseRollbackTarget(judged, { kind: 'explicit', revision: 9 }, CTX), {
      name: 'UsageError',
      message: 'revision 9 not found; available: 1, 3, 4',
    });
  });

  it('with no verified-good revision: exit 4 with every candidate, its verdict and the command to pick one', () => {
    const onlyBad = judgeRevisions(revs([4, 'img:2'], [3, 'img:3'], [2, 'img:x']), 4, records.slice(2));
    assert.throws(
      () => chooseRollbackTarget(onlyBad, { kind: 'verified-good' }, CTX),
      (err: unknown) => {
        assert.ok(err instanceof NoVerifiedGoodRevisionError);
        assert.ok(err instanceof ActionRequiredError);
        assert.equal(err.exitCode, 4);
        assert.deepEqual(
          err.candidates.map((c) => [c.revision, c.verdict]),
          [
            [3, 'failed'],
            [2, 'unknown'],
          ],
        );
        assert.match(err.message, /nothing was rolled back \(nothing changed\)/);
        assert.match(err.message, /revision 3\s+img:3\s+failed\s+deploy record/);
        assert.match(err.message, /revision 2\s+img:x\s+unknown\s+no ledger record/);
        assert.match(
          err.hint ?? '',
          /mobius-deploy rollback -n production --to-revision N --reason "\.\.\."/,
        );
        return true;
      },
    );
  });

  it('never picks the live revision; with nothing else it is the usage error "no rollout history"', () => {
    const single = judgeRevisions(revs([1, 'img:1']), 1, records);
    assert.throws(
      () => chooseRollbackTarget(single, { kind: 'verified-good' }, CTX),
      (e: unknown) => {
        assert.ok(e instanceof UsageError);
        assert.match(e.message, /no rollout history found/);
        return true;
      },
    );
  });
});

it('the command to choose a revision carries every option that reaches the same target', () => {
  assert.equal(
    chooseCommand({ namespace: 'production', deployment: 'preview-worker', ledgerDir: '/l' }),
    'mobius-deploy rollback -n production --ledger-dir /l --to-revision N --reason "..."',
  );
  assert.equal(
    chooseCommand({
      namespace: 'production',
      deployment: 'preview-worker',
      ledgerDir: '/l',
      target: '-n production --ledger-dir /l --context kind-prod --kubeconfig k.yaml',
    }),
    'mobius-deploy rollback -n production --ledger-dir /l --context kind-prod --kubeconfig k.yaml --to-revision N --reason "..."',
  );
});
