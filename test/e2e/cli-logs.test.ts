// End-to-end: the BUILT `mobius-deploy logs` against the Kubernetes API simulator.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI_PATH, ensureBuilt, REPO_ROOT, runCli } from '../support/cli.js';
import { type KubeSim, startKubeSim } from '../support/kube-sim/index.js';

const NS = 'production';
const T0 = Date.UTC(2026, 10, 26, 19, 40, 0);

function pino(level: number, offsetMs: number, msg: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ level, time: T0 + offsetMs, pid: 1, hostname: 'h', msg, ...fields });
}

/** Five lines per pod: info, info, warn, error, plain; the i-th pod's lines are offset by i ms. */
function podLines(i: number): { time: number; text: string }[] {
  const t = (k: number) => T0 + k * 1000 + i;
  return [
    { time: t(0), text: pino(30, k0(0, i), 'job started', { jobId: `job-${i}0`, projectId: 'alpha' }) },
    { time: t(1), text: pino(30, k0(1, i), 'job completed', { jobId: `job-${i}1`, durationMs: 800 + i }) },
    { time: t(2), text: pino(40, k0(2, i), 'queue is filling', { waiting: 900 + i }) },
    {
      time: t(3),
      text: pino(50, k0(3, i), 'job failed', {
        jobId: `job-${i}3`,
        err: { type: 'Error', message: `connect ECONNREFUSED 10.0.0.${i}:6379` },
      }),
    },
    { time: t(4), text: `plain line ${i} from pod` },
  ];
}
function k0(k: number, i: number): number {
  return k * 1000 + i;
}

interface Follower {
  out(): string;
  err(): string;
  waitFor(re: RegExp, what: string, stream?: 'stdout' | 'stderr'): Promise<void>;
  /** Ctrl-C, and the exit code. */
  interrupt(): Promise<number | null>;
  /** The exit code, once the command ends by itself. */
  exited(): Promise<number | null>;
  kill(): void;
}

function startFollow(args: string[]): Follower {
  const child: ChildProcess = spawn(process.execPath, [CLI_PATH, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    out: () => stdout,
    err: () => stderr,
    async waitFor(re, what, stream = 'stdout') {
      const deadline = Date.now() + 20_000;
      while (!re.test(stream === 'stdout' ? stdout : stderr)) {
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`did not see ${what}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    interrupt() {
      child.kill('SIGINT');
      return exited;
    },
    exited: () => exited,
    kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

describe('mobius-deploy logs (built CLI against kube-sim)', () => {
  let sim: KubeSim;
  let pods: string[];

  before(async () => {
    ensureBuilt();
    sim = await startKubeSim();
    await sim.seedDeployment({ namespace: NS, name: 'preview-worker', replicas: 3 });
    // A pod that is NOT selected by the deployment's selector must never show up.
    pods = sim
      .podsOf(NS, 'preview-worker')
      .map((p) => p.metadata.name as string)
      .sort();
    assert.equal(pods.length, 3);
    pods.forEach((p, i) => {
      sim.setPodLogs(NS, p, podLines(i));
    });
  });

  after(async () => {
    await sim?.close();
  });

  const run = (args: string[], timeoutMs = 30_000) =>
    runCli(args, { kubeconfig: sim.kubeconfigPath, timeoutMs });

  // For the --follow tests that scale the deployment up to 4 and back.
  const scaleTo = (replicas: number) =>
    sim.mutate('deployments', NS, 'preview-worker', (d) => {
      d.spec.replicas = replicas;
    });
  /** The previous test scaled 4 → 3: wait until the removed pod is gone. */
  const waitForThreePods = () =>
    sim.waitFor(() => sim.podsOf(NS, 'preview-worker').length === 3, {
      message: '3 pods',
      timeoutMs: 20_000,
    });
  /** The name of a running pod not in `known` (after a scale-up). */
  const newRunningPod = async (known: string[], timeoutMs?: number): Promise<string> => {
    const pod = await sim.waitFor(
      () =>
        sim
          .podsOf(NS, 'preview-worker')
          .find((p) => !known.includes(p.metadata.name) && p.status?.containerStatuses?.[0]?.state?.running),
      { message: 'a fourth running pod', timeoutMs },
    );
    return pod.metadata.name as string;
  };
  /** Lines appear once the follower connected to the pod: append `text` until `f` prints it. */
  const appendUntilFollowed = async (f: Follower, pod: string, text: string, deadline: number) => {
    while (!f.out().includes(`${pod} | ${text}`)) {
      sim.appendPodLog(NS, pod, [text]);
      if (Date.now() > deadline) throw new Error(`new pod ${pod} not followed\n${f.out()}\n${f.err()}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  };

  it('merges all pods in time order with pod-name prefixes and readable JSON lines', async () => {
    const r = await run(['logs', '--namespace', NS, '--tail', '100']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 15);
    // First line of each pod, in pod order (times differ by 1 ms), then the second lines...
    assert.equal(lines[0], `${pods[0]} | 19:40:00 INFO  job started jobId=job-00 projectId=alpha`);
    assert.equal(lines[1], `${pods[1]} | 19:40:00 INFO  job started jobId=job-10 projectId=alpha`);
    assert.equal(lines[2], `${pods[2]} | 19:40:00 INFO  job started jobId=job-20 projectId=alpha`);
    assert.ok(
      lines.includes(
        `${pods[1]} | 19:40:03 ERROR job failed jobId=job-13 err="Error: connect ECONNREFUSED 10.0.0.1:6379"`,
      ),
    );
    assert.equal(lines[14], `${pods[2]} | plain line 2 from pod`);
    assert.doesNotMatch(r.stdout, /\u001b\[/, 'no colour when not a terminal');
  });

  it('colours each pod name (stable) when colour is on, and never with --no-color', async () => {
    const coloured = await runCli(['logs', '-n', NS, '--tail', '1'], {
      kubeconfig: sim.kubeconfigPath,
      env: { NO_COLOR: undefined, FORCE_COLOR: '1' },
    });
    assert.equal(coloured.code, 0, coloured.stderr);
    const prefixes = coloured.stdout
      .trimEnd()
      .split('\n')
      .map((l) => /^(\u001b\[38;5;\d+m)(\S+)\u001b\[39m \| /.exec(l));
    assert.ok(prefixes.every(Boolean), coloured.stdout);
    const again = await runCli(['logs', '-n', NS, '--tail', '1'], {
      kubeconfig: sim.kubeconfigPath,
      env: { NO_COLOR: undefined, FORCE_COLOR: '1' },
    });
    assert.equal(again.stdout, coloured.stdout, 'the same colours every run');
    const plain = await runCli(['logs', '-n', NS, '--tail', '1', '--no-color'], {
      kubeconfig: sim.kubeconfigPath,
      env: { NO_COLOR: undefined, FORCE_COLOR: '1' },
    });
    assert.doesNotMatch(plain.stdout, /\u001b\[/);
  });

  it('agrees with kubectl logs on the same pods (--raw --tail 2)', async (t) => {
    const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
    if (kubectl.error) {
      t.skip('kubectl is not installed');
      return;
    }
    const ours = await run(['logs', '-n', NS, '--raw', '--tail', '2']);
    assert.equal(ours.code, 0, ours.stderr);
    const theirs = await new Promise<string>((resolve, reject) => {
      const child = spawn(
        'kubectl',
        [
          '--kubeconfig',
          sim.kubeconfigPath,
          'logs',
          '-n',
          NS,
          'deployment/preview-worker',
          '--all-pods',
          '--prefix',
          '--tail',
          '2',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        err += d;
      });
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve(out) : reject(new Error(`kubectl exited ${code}: ${err}`)),
      );
    });
    const normalise = (text: string, re: RegExp) =>
      text
        .trimEnd()
        .split('\n')
        .map((l) => {
          const m = re.exec(l);
          assert.ok(m, l);
          return `${m[1]} ${m[2]}`;
        })
        .sort();
    assert.deepEqual(
      normalise(ours.stdout, /^(\S+) \| (.*)$/),
      normalise(theirs, /^\[pod\/([^/]+)\/[^\]]+\] (.*)$/),
    );
  });

  it('applies --tail per pod', async () => {
    const r = await run(['logs', '-n', NS, '--tail', '2']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 6);
    for (const p of pods) assert.equal(lines.filter((l) => l.startsWith(`${p} | `)).length, 2);
    assert.ok(lines.every((l) => /ERROR job failed|plain line/.test(l)));
  });

  it('filters with --grep and --exclude, and rejects an invalid regex with exit 2', async () => {
    const r = await run(['logs', '-n', NS, '--grep', 'job (started|failed)', '--exclude', 'job-1']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 4);
    assert.ok(lines.every((l) => /job (started|failed)/.test(l) && !l.includes('job-1')));
    const bad = await run(['logs', '-n', NS, '--grep', '(unclosed']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not a valid regular expression/);
  });

  it('filters by --level and keeps lines that are not JSON', async () => {
    const r = await run(['logs', '-n', NS, '--level', 'warn']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 9);
    assert.equal(lines.filter((l) => / WARN {2}queue is filling waiting=\d+$/.test(l)).length, 3);
    assert.equal(lines.filter((l) => / ERROR job failed /.test(l)).length, 3);
    assert.equal(lines.filter((l) => / \| plain line \d from pod$/.test(l)).length, 3);
    assert.ok(!r.stdout.includes('INFO'));
  });

  it('prints NDJSON with -o json', async () => {
    const r = await run(['logs', '-n', NS, '-o', 'json', '--tail', '2']);
    assert.equal(r.code, 0, r.stderr);
    const entries = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(entries.length, 6);
    const err = entries.find((e) => e.pod === pods[0] && e.level === 'error');
    assert.deepEqual(err, {
      pod: pods[0],
      container: 'worker',
      time: new Date(T0 + 3000).toISOString(),
      level: 'error',
      msg: 'job failed',
      fields: { jobId: 'job-03', err: { type: 'Error', message: 'connect ECONNREFUSED 10.0.0.0:6379' } },
    });
    const plain = entries.find((e) => e.pod === pods[2] && e.level === 'unknown');
    assert.equal(plain.msg, 'plain line 2 from pod');
    assert.deepEqual(plain.fields, {});
  });

  it('--patterns ranks templates error-level first with counts per pod; --fail-on-errors exits 1', async () => {
    const r = await run(['logs', '-n', NS, '--patterns']);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.split('\n').filter((l) => /^(ERROR|WARN|INFO|UNKNOWN)\s/.test(l));
    assert.equal(rows.length, 5, r.stdout);
    assert.match(
      rows[0],
      /^ERROR\s+3\s+19:40:03\s+19:40:03\s+.*job failed jobId=<ID> err=Error: connect ECONNREFUSED <IP>$/,
    );
    assert.ok(
      rows.some((l) => /^UNKNOWN\s+3\s.*plain line <NUM> from pod$/.test(l)),
      r.stdout,
    );
    assert.ok(rows.some((l) => /^INFO\s+3\s.*job completed jobId=<ID> durationMs=<NUM>$/.test(l)));
    const json = await run(['logs', '-n', NS, '--patterns', '-o', 'json', '--fail-on-errors']);
    assert.equal(json.code, 1, 'error-level lines present');
    const data = JSON.parse(json.stdout);
    assert.equal(data.linesMined, 15);
    assert.equal(data.templates[0].level, 'error');
    assert.equal(data.templates[0].count, 3);
    assert.deepEqual(data.templates[0].pods, Object.fromEntries(pods.map((p) => [p, 1])));
    assert.equal(data.templates[0].firstSeen, new Date(T0 + 3000).toISOString());
    assert.equal(data.templates[0].lastSeen, new Date(T0 + 3002).toISOString());
    const clean = await run([
      'logs',
      '-n',
      NS,
      '--patterns',
      '--level',
      'info',
      '--exclude',
      'failed',
      '--fail-on-errors',
    ]);
    assert.equal(clean.code, 0, clean.stderr);
  });

  it('--patterns and `patterns` on the same lines give the same templates (one miner)', async () => {
    const fromLogs = await run(['logs', '-n', NS, '--patterns', '-o', 'json']);
    assert.equal(fromLogs.code, 0, fromLogs.stderr);
    const dir = mkdtempSync(join(tmpdir(), 'logs-patterns-'));
    try {
      const file = join(dir, 'pods.log');
      writeFileSync(file, `${[0, 1, 2].flatMap((i) => podLines(i).map((l) => l.text)).join('\n')}\n`);
      const fromFile = await runCli(['patterns', file, '-o', 'json']);
      assert.equal(fromFile.code, 0, fromFile.stderr);
      type T = { template: string; level: string; count: number };
      const shape = (out: string) =>
        (JSON.parse(out).templates as T[]).map((t) => `${t.level} ${t.count} ${t.template}`).sort();
      assert.deepEqual(shape(fromFile.stdout), shape(fromLogs.stdout));
      assert.equal(shape(fromLogs.stdout).length, 5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--previous reads the crashed container of a crash-looping pod and notes pods without one', async () => {
    const ns = 'crashing';
    sim.setImageBehavior('ghcr.io/mobius/preview-worker:crash', {
      kind: 'crashloop',
      delayMs: 100,
      restartIntervalMs: 100_000,
      crashLogLines: [pino(60, 0, 'cannot connect to redis', { url: 'redis://redis:6379' })],
    });
    await sim.seedDeployment({
      namespace: ns,
      name: 'preview-worker',
      replicas: 1,
      image: 'ghcr.io/mobius/preview-worker:crash',
      wait: false,
    });
    const crashPod = sim.podsOf(ns, 'preview-worker')[0].metadata.name as string;
    await sim.waitFor(
      () => sim.get('pods', ns, crashPod)?.status?.containerStatuses?.[0]?.lastState?.terminated,
      {
        message: 'the first crash',
      },
    );
    const r = await run(['logs', '-n', ns, '--previous']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(
        `^${crashPod} \\| \\d\\d:\\d\\d:\\d\\d FATAL cannot connect to redis url=redis://redis:6379$`,
        'm',
      ),
    );
    // The healthy deployment has no previous containers: a note per pod, not a failure.
    const healthy = await run(['logs', '-n', NS, '--previous']);
    assert.equal(healthy.code, 0, healthy.stderr);
    assert.equal(healthy.stdout, '');
    for (const p of pods)
      assert.match(healthy.stderr, new RegExp(`note: pod ${p} has no previous terminated container worker`));
  });

  it('--since keeps only recent lines; --container names a container (unknown one → exit 2)', async () => {
    await sim.seedDeployment({ namespace: 'since', name: 'preview-worker', replicas: 1 });
    const pod = sim.podsOf('since', 'preview-worker')[0].metadata.name as string;
    const now = Date.now();
    sim.setPodLogs('since', pod, [
      { time: now - 2 * 3600_000, text: 'two hours ago' },
      { time: now - 60_000, text: 'a minute ago' },
    ]);
    const recent = await run(['logs', '-n', 'since', '--since', '30m']);
    assert.equal(recent.code, 0, recent.stderr);
    assert.equal(recent.stdout, `${pod} | a minute ago\n`);
    const all = await run(['logs', '-n', 'since', '--since', '3h', '--container', 'worker']);
    assert.equal(all.stdout, `${pod} | two hours ago\n${pod} | a minute ago\n`);
    const badSince = await run(['logs', '-n', 'since', '--since', 'yesterday']);
    assert.equal(badSince.code, 2);
    assert.match(badSince.stderr, /expected a duration such as 10s, 30m, 1h/);
    const badContainer = await run(['logs', '-n', 'since', '--container', 'sidecar']);
    assert.equal(badContainer.code, 2, badContainer.stderr);
    assert.match(badContainer.stderr, /No pod of deployment preview-worker has a container named sidecar/);
  });

  it('ends quietly with exit 0 when stdout is closed early (logs | head), also with --follow', async () => {
    await sim.seedDeployment({ namespace: 'busy', name: 'preview-worker', replicas: 1 });
    const pod = sim.podsOf('busy', 'preview-worker')[0].metadata.name as string;
    sim.setPodLogs(
      'busy',
      pod,
      Array.from({ length: 5000 }, (_, i) => `line ${i} ${'x'.repeat(100)}`),
    );
    for (const extra of [[], ['-f']]) {
      const child = spawn(
        process.execPath,
        [CLI_PATH, 'logs', '-n', 'busy', '--tail', '-1', ...extra, '--kubeconfig', sim.kubeconfigPath],
        { cwd: REPO_ROOT, env: { PATH: process.env.PATH, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
      });
      child.stdout.once('data', () => child.stdout.destroy());
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      assert.equal(code, 0, `${extra.join(' ')}: ${stderr}`);
      assert.doesNotMatch(stderr, /EPIPE|\n\s+at /);
    }
  });

  it('denied pods/log → exit 5 naming verb get and resource pods/log', async () => {
    const undo = sim.deny({ verb: 'get', resource: 'pods/log', namespace: NS });
    try {
      const r = await run(['logs', '-n', NS]);
      assert.equal(r.code, 5, r.stderr);
      assert.match(r.stderr, /RBAC verb get, resource pods\/log/);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    } finally {
      undo();
    }
  });

  it('retries a failing log request (500) and gives exit 5 with a clear sentence when it keeps failing', async () => {
    const transient = sim.injectFault({ path: '/log', status: 500, times: 2 });
    try {
      const r = await run(['logs', '-n', NS, '--tail', '1']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trimEnd().split('\n').length, 3);
      assert.equal(transient.hits(), 2);
    } finally {
      transient.clear();
    }
    const persistent = sim.injectFault({ path: '/log', status: 500, message: 'etcd is sad' });
    try {
      const r = await run(['logs', '-n', NS]);
      assert.equal(r.code, 5, r.stderr);
      assert.match(
        r.stderr,
        /The API server failed to return the log of pod \S+ \(HTTP 500: .*etcd is sad\)/,
      );
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    } finally {
      persistent.clear();
    }
  });

  it('no pods → a clear message and exit 1; missing deployment → exit 1', async () => {
    await sim.seedDeployment({ namespace: 'empty', name: 'preview-worker', replicas: 0 });
    const r = await run(['logs', '-n', 'empty']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /No pods of deployment preview-worker in namespace empty/);
    const missing = await run(['logs', '-n', NS, '--deployment', 'nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Deployment nope not found in namespace production/);
  });

  it('--follow streams new lines, survives a cut stream without duplicates, picks up a new pod, ends on SIGINT', async () => {
    const f = startFollow(['logs', '-n', NS, '-f', '--tail', '1', '--kubeconfig', sim.kubeconfigPath]);
    try {
      for (const p of pods) await f.waitFor(new RegExp(`^${p} \\| plain line`, 'm'), `the tail line of ${p}`);
      sim.appendPodLog(NS, pods[0], ['live line one']);
      await f.waitFor(/^.* \| live line one$/m, 'a live line');
      assert.ok(sim.cutLogStreams('destroy') >= 3, 'streams were open');
      await new Promise((r) => setTimeout(r, 100));
      sim.appendPodLog(NS, pods[1], ['after the cut']);
      await f.waitFor(new RegExp(`^${pods[1]} \\| after the cut$`, 'm'), 'a line after the cut');
      // Scale up: a pod started during the run is followed too.
      scaleTo(4);
      const newName = await newRunningPod(pods);
      await appendUntilFollowed(f, newName, 'from the new pod', Date.now() + 20_000);
      assert.equal(await f.interrupt(), 0, f.err());
      const lines = f.out().trimEnd().split('\n');
      // Nothing delivered twice across the reconnect.
      for (const text of ['live line one', 'after the cut']) {
        assert.equal(lines.filter((l) => l.endsWith(`| ${text}`)).length, 1, `${text} once`);
      }
      for (const p of pods)
        assert.equal(lines.filter((l) => l === `${p} | plain line ${pods.indexOf(p)} from pod`).length, 1);
      assert.match(f.err(), new RegExp(`pod ${newName} started`));
      assert.match(
        f.err(),
        /log stream of \S+ was cut .*reconnecting/,
        'the cut was noticed and the stream reconnected',
      );
    } finally {
      f.kill();
      scaleTo(3);
    }
  });

  it('--follow re-lists and re-watches when the pod watch drops', async () => {
    await waitForThreePods();
    const drop = sim.injectFault({ path: '/pods', query: /watch=true/, drop: true, times: 2 });
    const f = startFollow(['logs', '-n', NS, '-f', '--tail', '0', '--kubeconfig', sim.kubeconfigPath]);
    try {
      const deadline = Date.now() + 20_000;
      while (drop.hits() < 2) {
        if (Date.now() > deadline) throw new Error(`the watch was not retried\n${f.err()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      scaleTo(4);
      const known = sim.podsOf(NS, 'preview-worker').map((p) => p.metadata.name as string);
      const name = await newRunningPod(known, 20_000);
      await appendUntilFollowed(f, name, 'after the watch came back', deadline + 10_000);
      assert.equal(await f.interrupt(), 0, f.err());
    } finally {
      f.kill();
      drop.clear();
      scaleTo(3);
    }
  });

  it('--follow polls the pod list when watching pods is denied', async () => {
    await waitForThreePods();
    const undo = sim.deny({ verb: 'watch', resource: 'pods', namespace: NS });
    const f = startFollow(['logs', '-n', NS, '-f', '--tail', '0', '--kubeconfig', sim.kubeconfigPath]);
    try {
      await f.waitFor(
        /cannot watch pods \(RBAC verb watch, resource pods\); polling/,
        'the polling note',
        'stderr',
      );
      const known = sim.podsOf(NS, 'preview-worker').map((p) => p.metadata.name as string);
      scaleTo(4);
      const name = await newRunningPod(known, 20_000);
      await appendUntilFollowed(f, name, 'found by polling', Date.now() + 20_000);
      assert.equal(await f.interrupt(), 0, f.err());
    } finally {
      f.kill();
      undo();
      scaleTo(3);
    }
  });

  it('--follow during a rollout follows the new pods and drops the deleted ones', async () => {
    await waitForThreePods();
    const before = sim
      .podsOf(NS, 'preview-worker')
      .map((p) => p.metadata.name as string)
      .sort();
    const f = startFollow(['logs', '-n', NS, '-f', '--tail', '0', '--kubeconfig', sim.kubeconfigPath]);
    try {
      // The command lists the pods and opens their streams before it watches.
      await new Promise((r) => setTimeout(r, 1500));
      sim.setDeploymentImage(NS, 'preview-worker', 'ghcr.io/mobius/preview-worker:1.0.1');
      await sim.waitForRollout(NS, 'preview-worker', { timeoutMs: 20_000 });
      const after = sim
        .podsOf(NS, 'preview-worker')
        .map((p) => p.metadata.name as string)
        .filter((n) => !before.includes(n));
      assert.ok(after.length >= 1, 'new pods exist');
      for (const p of after)
        await appendUntilFollowed(f, p, 'hello from the new version', Date.now() + 20_000);
      for (const p of before)
        await f.waitFor(new RegExp(`pod ${p} (was deleted|is gone)`), `${p} dropped`, 'stderr');
      assert.equal(await f.interrupt(), 0, f.err());
      // A terminating pod is followed once: none of its lines is printed twice.
      const oldLines = f
        .out()
        .split('\n')
        .filter((l) => before.some((p) => l.startsWith(`${p} | `)));
      assert.equal(new Set(oldLines).size, oldLines.length, oldLines.join('\n'));
    } finally {
      f.kill();
    }
  });
});

describe('mobius-deploy logs -f when the API server goes away (built CLI against kube-sim)', () => {
  let sim: KubeSim | undefined;
  before(() => ensureBuilt());
  after(async () => {
    await sim?.close();
  });

  const seed = async (s: KubeSim) => {
    await s.seedDeployment({ namespace: NS, name: 'preview-worker', replicas: 2 });
    s.podsOf(NS, 'preview-worker').forEach((p, i) => {
      s.setPodLogs(NS, p.metadata.name as string, podLines(i));
    });
    return s
      .podsOf(NS, 'preview-worker')
      .map((p) => p.metadata.name as string)
      .sort();
  };

  it('gives up after --give-up-after with exit 5 and says since when, one note when lost instead of one per retry', async () => {
    sim = await startKubeSim();
    const pods = await seed(sim);
    const f = startFollow([
      'logs',
      '-n',
      NS,
      '-f',
      '--tail',
      '1',
      '--give-up-after',
      '4s',
      '--kubeconfig',
      sim.kubeconfigPath,
    ]);
    try {
      for (const p of pods) await f.waitFor(new RegExp(`^${p} \\| plain line`, 'm'), `the tail line of ${p}`);
      await sim.close();
      const code = await f.exited();
      assert.equal(code, 5, f.err());
      const err = f.err();
      const lost = err.match(
        /note: lost the connection to the Kubernetes API at http:\/\/127\.0\.0\.1:\d+ \(connection refused\) at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ; retrying with backoff, giving up after 4s \(--give-up-after\)/g,
      );
      assert.equal(lost?.length, 1, err);
      assert.match(
        err,
        /Gave up following the logs: the Kubernetes API at http:\/\/127\.0\.0\.1:\d+ has been unreachable since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(4s; connection refused\)\./,
      );
      assert.match(err, /--give-up-after sets how long/);
      // No note per failed reconnect: at most the cuts of the open streams, the loss, and the error.
      const noteLines = err.split('\n').filter((l) => l.startsWith('note: '));
      assert.ok(noteLines.length <= pods.length + 2, noteLines.join('\n'));
      assert.doesNotMatch(err, /\n\s+at /, 'no stack trace');
    } finally {
      f.kill();
      sim = undefined;
    }
  });

  it('says when the API answers again and keeps following', async () => {
    const first = await startKubeSim();
    sim = first;
    await seed(first);
    const f = startFollow(['logs', '-n', NS, '-f', '--tail', '1', '--kubeconfig', first.kubeconfigPath]);
    try {
      await f.waitFor(/plain line/, 'a tail line');
      await first.close();
      await f.waitFor(/note: lost the connection to the Kubernetes API/, 'the lost note', 'stderr');
      // The API server comes back at the same address (a fresh one, as after a restart).
      sim = await startKubeSim({ port: first.port, token: first.token });
      const pods = await seed(sim);
      await f.waitFor(
        /note: the Kubernetes API at http:\/\/127\.0\.0\.1:\d+ answers again after \d+s/,
        'the back note',
        'stderr',
      );
      await appendUntilFollowedBy(sim, f, pods[0] as string, 'after the API came back', Date.now() + 20_000);
      assert.equal(await f.interrupt(), 0, f.err());
      assert.equal(f.err().match(/lost the connection/g)?.length, 1, f.err());
    } finally {
      f.kill();
    }
  });
});

/** Appends `text` to `pod`'s log on `s` until the follower prints it (it may reconnect first). */
async function appendUntilFollowedBy(s: KubeSim, f: Follower, pod: string, text: string, deadline: number) {
  const re = new RegExp(`^${pod} \\| ${text}$`, 'm');
  while (!re.test(f.out())) {
    if (Date.now() > deadline) throw new Error(`${pod} was not followed\n${f.out()}\n${f.err()}`);
    s.appendPodLog(NS, pod, [text]);
    await new Promise((r) => setTimeout(r, 300));
  }
}
