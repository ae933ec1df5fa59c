/**
 * What a failed `deploy` shows as evidence (the built CLI against the simulator): the failure line
 * carries the start of the container's termination message, the whole message is shown once,
 * wrapped and trimmed, the pod's last log lines read as `logs` prints them, counts in the right
 * number, one duration style, and the deploy's sentence is said once (the error on stderr).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureBuilt } from '../support/cli.js';
import { type DeployTestCluster, deployTag, REPO, startDeployTestCluster } from './cli-deploy-helpers.js';

const NS = 'production';

describe('deploy: the evidence of a failed rollout', () => {
  let c: DeployTestCluster;
  before(async () => {
    ensureBuilt();
    c = await startDeployTestCluster(NS);
  });
  after(() => c?.close());

  it('says the termination message once, wrapped and trimmed; log lines formatted like logs', async () => {
    assert.equal((await deployTag(c, '1.0.0')).code, 0);
    const stack = Array.from(
      { length: 40 },
      (_, i) => `    at frame${i} (/app/dist/worker/module${i}.js:${i}:7)`,
    );
    const message = [`Error: connect ECONNREFUSED 10.96.0.15:6379 ${'x'.repeat(300)}`, ...stack].join('\n');
    c.sim.setImageBehavior(`${REPO}:1.1.0`, {
      kind: 'crashloop',
      exitCode: 1,
      message,
      crashLogLines: [
        '{"level":30,"time":1796308566212,"msg":"preview worker started"}',
        '{"level":60,"time":1796308566212,"msg":"cannot reach Redis","err":{"type":"Error","message":"ECONNREFUSED"}}',
      ],
    });
    const r = await deployTag(c, '1.1.0');
    assert.equal(r.code, 3, r.stderr);
    const all = r.stdout + r.stderr;
    // No line carries the whole 2 KB message; the stack frames are shown once, in the view.
    for (const line of all.split('\n'))
      assert.ok(line.length < 700, `a ${line.length}-character line: ${line.slice(0, 200)}…`);
    assert.equal(all.split('at frame5 ').length - 1, 1, all);
    assert.match(
      r.stdout,
      /failure: +CrashLoopBackOff: pod \S+ CrashLoopBackOff \(\d+ restarts?, more than --max-restarts \d+\): last terminated: Error, exit code 1: Error: connect ECONNREFUSED 10\.96\.0\.15:6379 x+…/,
    );
    assert.match(r.stdout, /^runbook: +docs\/RUNBOOKS\.md#previewworkercrashlooping$/m);
    assert.match(
      r.stdout,
      /Termination message of preview-worker-\S+\/preview-worker:\n {2}Error: connect ECONNREFUSED/,
    );
    assert.match(r.stdout, /… \d+ more lines \(logs --previous shows the container's output\)/);
    // The last log lines as `logs` prints them, not raw JSON.
    assert.match(
      r.stdout,
      /Last 2 log lines of \S+:\n {2}\d\d:\d\d:\d\d INFO {2}preview worker started\n {2}\d\d:\d\d:\d\d FATAL cannot reach Redis err="Error: ECONNREFUSED"/,
    );
    assert.doesNotMatch(r.stdout, /\{"level"/);
    // The deploy's sentence is the error; the view does not print it before.
    assert.doesNotMatch(r.stdout, /^deploy of \S+ failed/m);
    assert.match(r.stderr, /^Error: deploy of \S+ failed/m);
    // One duration style: no "1079ms" beside "1.1s" (whole milliseconds only below a second).
    const duration = /duration: +(\S+) \(([^)]*)\)/.exec(r.stdout);
    assert.ok(duration, r.stdout);
    for (const d of [duration[1], ...duration[2].split(', ').map((p) => p.split(' ')[1])]) {
      assert.match(d, /^(\d{1,3}ms|\d+(\.\d)?s|\d+m(\d+s)?)$/, `duration ${d}`);
    }
  });
});
