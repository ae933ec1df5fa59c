/**
 * The same situation gets the same exit code and message in every command (issue #13, point 2),
 * end to end through the BUILT CLI against the simulator: a missing namespace, the namespace
 * precedence (with the kubeconfig context's own namespace), the error object on stdout for
 * -o json|yaml, and hints that print the invocation the user actually typed.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI_PATH, ensureBuilt, runCli } from '../support/cli.js';
import { type KubeSim, startKubeSim } from '../support/kube-sim/index.js';
import { deployTag, REPO, startDeployTestCluster } from './cli-deploy-helpers.js';

let sim: KubeSim;
let dir: string;

before(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'mobius-cli-consistency-'));
  sim = await startKubeSim({ readyDelayMs: 20 });
  await sim.seedDeployment({ namespace: 'production', replicas: 1, hpa: false });
});
after(async () => {
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The same sentence, and a hint that says which rule chose the namespace. */
const MISSING =
  /^Error: Namespace (nope|staging) does not exist in this cluster\.\nHint: Chosen: namespace (nope \(from -n\/--namespace\)|staging \(from the environment file deploy\/environments\/staging\.yaml\))\. Check -n\/--namespace/;

/** Every command that reads a namespace in the cluster, pointed at one that does not exist. */
const READS_A_NAMESPACE: string[][] = [
  ['status', '-n', 'nope'],
  ['verify', '-n', 'nope'],
  ['logs', '-n', 'nope'],
  ['logs', '-n', 'nope', '--patterns'],
  ['history', '-n', 'nope'],
  ['report', '-n', 'nope'],
  ['access', 'review', '-n', 'nope'],
  ['incident', 'list', '-n', 'nope'],
  ['incident', 'show', 'inc-1', '-n', 'nope'],
  ['incident', 'open', '--level', '2', '--summary', 'x', '-n', 'nope'],
  ['incident', 'update', 'inc-1', '--note', 'x', '-n', 'nope'],
  ['incident', 'resolve', 'inc-1', '--cause', 'x', '-n', 'nope'],
  ['rollback', '--reason', 'x', '-n', 'nope'],
  ['deploy', '--image', 'ghcr.io/acme/preview-worker:1.0.0', '-n', 'nope'],
  ['deploy', '--env', 'staging', '--image-tag', '1.0.0'],
  ['deploy', '--env', 'staging', '--image-tag', '1.0.0', '--dry-run'],
  ['registry-secret', 'rotate', '--username', 'u', '--from-env', 'GHCR_TOKEN', '-n', 'nope'],
];

describe('a missing namespace: exit 5 and the same message in every command', () => {
  for (const argv of READS_A_NAMESPACE) {
    it(argv.join(' '), async () => {
      const r = await runCli(argv, {
        kubeconfig: sim.kubeconfigPath,
        env: { GHCR_TOKEN: 'not-a-real-token' },
      });
      assert.equal(r.code, 5, `${argv.join(' ')}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, MISSING, argv.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    });
  }

  it('doctor reports it as its failed namespace check (a diagnosis lists every finding)', async () => {
    const r = await runCli(['doctor', '-n', 'nope'], { kubeconfig: sim.kubeconfigPath });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /fail\s+namespace: namespace nope \(from -n\/--namespace\) does not exist/);
  });
});

describe("namespace precedence like kubectl's, with the kubeconfig context's own namespace", () => {
  /** A copy of the simulator's kubeconfig whose context kind-prod sets `namespace: production`. */
  const contextKubeconfig = (): string => {
    const file = join(dir, 'kind-prod.yaml');
    writeFileSync(
      file,
      `apiVersion: v1
kind: Config
current-context: kind-prod
clusters: [{name: sim, cluster: {server: "${sim.url}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: "${sim.token}"}}]
contexts: [{name: kind-prod, context: {cluster: sim, user: u, namespace: production}}]
`,
    );
    return file;
  };
  const namespaceOf = async (args: string[], env: Record<string, string> = {}) => {
    const r = await runCli(['status', '--no-queue', '-o', 'json', ...args], {
      kubeconfig: contextKubeconfig(),
      env,
    });
    return r.code === 0 || r.code === 1
      ? (JSON.parse(r.stdout) as { namespace: string }).namespace
      : `exit ${r.code}: ${r.stderr}`;
  };

  it('plain status uses the context namespace; $MOBIUS_NAMESPACE, -e and -n beat it in that order', async () => {
    await sim.seedDeployment({ namespace: 'preview-worker', replicas: 1, hpa: false });
    assert.equal(await namespaceOf([]), 'production');
    assert.equal(await namespaceOf([], { MOBIUS_NAMESPACE: 'preview-worker' }), 'preview-worker');
    assert.match(
      await namespaceOf(['-e', 'staging'], { MOBIUS_NAMESPACE: 'preview-worker' }),
      /Namespace staging does not exist/,
    );
    assert.equal(await namespaceOf(['-e', 'staging', '-n', 'preview-worker']), 'preview-worker');
  });

  it('-v and doctor say which one won', async () => {
    const kubeconfig = contextKubeconfig();
    const verbose = await runCli(['status', '--no-queue', '-v'], { kubeconfig });
    assert.equal(verbose.code, 0, verbose.stderr);
    assert.match(verbose.stderr, /^debug: namespace production \(from the kubeconfig context kind-prod\)$/m);
    const doctor = await runCli(['doctor', '-o', 'json'], { kubeconfig });
    const checks = (JSON.parse(doctor.stdout) as { checks: { name: string; evidence: string }[] }).checks;
    assert.equal(
      checks.find((c) => c.name === 'namespace')?.evidence,
      'namespace production (from the kubeconfig context kind-prod) exists (Active)',
    );
    const flagged = await runCli(['doctor', '-n', 'nope'], { kubeconfig });
    assert.match(flagged.stdout, /fail\s+namespace: namespace nope \(from -n\/--namespace\) does not exist/);
  });
});

interface ErrorDocument {
  error: { code: string; exitCode: number; message: string; hint: string | null };
}

describe('-o json|yaml: a failure is one parseable document on stdout, the human message on stderr', () => {
  it('the error object for each kind of failure, with the exit code it exits with', async () => {
    const dead = join(dir, 'dead.yaml');
    writeFileSync(
      dead,
      'apiVersion: v1\nkind: Config\ncurrent-context: dead\nclusters: [{name: dead, cluster: {server: "http://127.0.0.1:9"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: dead, context: {cluster: dead, user: u}}]\n',
    );
    const cases: { argv: string[]; kubeconfig?: string; code: string; exit: number; message: RegExp }[] = [
      {
        argv: ['status', '-n', 'nope'],
        code: 'NamespaceNotFound',
        exit: 5,
        message: /^Namespace nope does not exist/,
      },
      {
        argv: ['logs', '-n', 'nope'],
        code: 'NamespaceNotFound',
        exit: 5,
        message: /^Namespace nope does not exist/,
      },
      {
        argv: ['status', '--no-such-flag'],
        code: 'Usage',
        exit: 2,
        message: /^unknown option '--no-such-flag'/,
      },
      {
        argv: ['deploy', '--image-tag', '1.0.0'],
        code: 'Usage',
        exit: 2,
        message: /--image-tag needs -e\/--env/,
      },
      { argv: ['status', '-e', 'no-such-env'], code: 'Config', exit: 2, message: /no-such-env/ },
      {
        argv: ['verify', '-n', 'production'],
        kubeconfig: dead,
        code: 'ClusterUnreachable',
        exit: 5,
        message: /^Cannot reach the Kubernetes API at http:\/\/127\.0\.0\.1:9/,
      },
      {
        argv: ['history', '-n', 'production', '--no-such-flag'],
        code: 'Usage',
        exit: 2,
        message: /unknown option/,
      },
    ];
    for (const c of cases) {
      const r = await runCli([...c.argv, '-o', 'json'], { kubeconfig: c.kubeconfig ?? sim.kubeconfigPath });
      const label = `${c.argv.join(' ')}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
      assert.equal(r.code, c.exit, label);
      const doc = JSON.parse(r.stdout) as ErrorDocument;
      assert.deepEqual(Object.keys(doc), ['error'], label);
      assert.deepEqual(Object.keys(doc.error), ['code', 'exitCode', 'message', 'hint'], label);
      assert.equal(doc.error.code, c.code, label);
      assert.equal(doc.error.exitCode, c.exit, label);
      assert.match(doc.error.message, c.message, label);
      assert.match(r.stderr, /^Error: /, label);
    }
  });

  it('access denied; and -o yaml gives the same object as YAML', async () => {
    const undo = sim.deny({ verb: 'get', resource: 'deployments', namespace: 'production' });
    try {
      const r = await runCli(['verify', '-n', 'production', '-o', 'yaml'], {
        kubeconfig: sim.kubeconfigPath,
      });
      assert.equal(r.code, 5, r.stderr);
      assert.match(
        r.stdout,
        /^error:\n {2}code: AccessDenied\n {2}exitCode: 5\n {2}message: "?Access denied: /,
      );
      assert.match(r.stderr, /^Error: Access denied: /);
    } finally {
      undo();
    }
  });

  it('table output prints nothing on stdout for the same failure', async () => {
    const r = await runCli(['status', '-n', 'nope'], { kubeconfig: sim.kubeconfigPath });
    assert.equal(r.code, 5);
    assert.equal(r.stdout, '');
  });
});

describe('hints print the invocation the user typed; JSON keeps mobius-deploy', () => {
  it('in a checkout: node cli/mobius-deploy.js; as the installed bin: mobius-deploy', async () => {
    const checkout = await runCli(['deploy', '--image-tag', '1.0.0']);
    assert.equal(checkout.code, 2);
    assert.match(
      checkout.stderr,
      /^Hint: For example: node cli\/mobius-deploy\.js deploy --env production /m,
    );
    const usage = await runCli(['status', '--no-such-flag']);
    assert.match(
      usage.stderr,
      /\(run `node cli\/mobius-deploy\.js --help` or `node cli\/mobius-deploy\.js <command> --help` for usage\)/,
    );
    const json = await runCli(['deploy', '--image-tag', '1.0.0', '-o', 'json']);
    assert.match(
      (JSON.parse(json.stdout) as ErrorDocument).error.hint ?? '',
      /^For example: mobius-deploy deploy /,
    );

    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    symlinkSync(CLI_PATH, join(bin, 'mobius-deploy'));
    const installed = await runCli(['deploy', '--image-tag', '1.0.0'], {
      cliPath: join(bin, 'mobius-deploy'),
    });
    assert.equal(installed.code, 2, installed.stderr);
    assert.match(installed.stderr, /^Hint: For example: mobius-deploy deploy --env production /m);
  });

  it("a title that names the tool stays as it is (doctor's header)", async () => {
    const r = await runCli(['doctor', '-n', 'production'], { kubeconfig: sim.kubeconfigPath });
    assert.match(r.stdout, /^mobius-deploy doctor: namespace production, context kube-sim\n/);
  });
});

describe('the escalation hints carry every option that reaches the same target', () => {
  it('incident open/show/list name -n, --ledger-dir and --context/--kubeconfig as given', async () => {
    const ledger = join(dir, 'ledger');
    const kubeconfig = sim.kubeconfigPath;
    const incident = (...args: string[]) =>
      runCli([
        'incident',
        ...args,
        '-n',
        'production',
        '--ledger-dir',
        ledger,
        '--context',
        'kube-sim',
        '--kubeconfig',
        kubeconfig,
      ]);
    const target = `-n production --ledger-dir ${ledger} --context kube-sim --kubeconfig ${kubeconfig}`;
    const clusterTarget = `-n production --context kube-sim --kubeconfig ${kubeconfig}`;

    const major = await incident('open', '--level', '2', '--summary', 'renders fail');
    assert.equal(major.code, 0, major.stderr);
    assert.ok(
      major.stdout.includes(`node cli/mobius-deploy.js rollback ${target} --reason "incident inc-`),
      major.stdout,
    );

    const critical = await incident('open', '--level', '3', '--summary', 'outage', '-o', 'json');
    const steps = (JSON.parse(critical.stdout) as { guidance: { escalationSteps: string[] } }).guidance
      .escalationSteps;
    assert.ok(
      steps.some((s) => s.includes(`mobius-deploy logs ${clusterTarget} --previous`)),
      steps.join('\n'),
    );
    assert.ok(!steps.some((s) => s.includes('--ledger-dir')), 'logs and doctor take no --ledger-dir');

    const missing = await incident('show', 'inc-none');
    assert.equal(missing.code, 2);
    assert.ok(
      missing.stderr.includes(`\`node cli/mobius-deploy.js incident list ${target}\``),
      missing.stderr,
    );

    // A level-1 incident open for 45 minutes must be escalated: the line to paste reaches this ledger.
    const openedAt = new Date(Date.now() - 45 * 60_000).toISOString();
    const id = 'inc-20000101-000000-old1';
    writeFileSync(
      join(ledger, `incident.${id}.json`),
      JSON.stringify({
        version: 1,
        record: {
          schemaVersion: 1,
          id,
          kind: 'incident',
          namespace: 'production',
          environment: null,
          startedAt: openedAt,
          level: 1,
          summary: 'slow thumbnails',
          status: 'open',
          openedAt,
          updatedAt: openedAt,
          timeline: [{ at: openedAt, by: 'bob', text: 'opened' }],
          openedBy: 'bob',
        },
      }),
    );
    const list = await incident('list');
    assert.equal(list.code, 1, list.stderr);
    assert.ok(
      list.stdout.includes(
        `raise it: node cli/mobius-deploy.js incident update ${id} ${target} --level 2 --note "..."`,
      ),
      list.stdout,
    );
  });
});

describe('a command that prints its record and then fails gives one JSON document', () => {
  it('deploy rolled back (exit 3): the record with an "error" member', async () => {
    const c = await startDeployTestCluster('production');
    try {
      assert.equal((await deployTag(c, '1.0.0')).code, 0);
      c.sim.setImageBehavior(`${REPO}:1.1.0`, 'crashloop');
      const r = await deployTag(c, '1.1.0', ['-o', 'json']);
      assert.equal(r.code, 3, r.stderr);
      const doc = JSON.parse(r.stdout) as { result: string; id: string; error: ErrorDocument['error'] };
      assert.equal(doc.result, 'rolled_back');
      assert.equal(doc.error.code, 'RolledBack');
      assert.equal(doc.error.exitCode, 3);
      assert.match(
        doc.error.hint ?? '',
        new RegExp(`recorded as ${doc.id}; see mobius-deploy history -n production`),
      );
      assert.match(r.stderr, /^Error: .*rolled back/m);
      const yaml = await deployTag(c, '1.1.0', ['-o', 'yaml']);
      assert.equal(yaml.code, 3, yaml.stderr);
      assert.match(yaml.stdout, /^result: rolled_back$/m);
      assert.match(yaml.stdout, /^error:\n {2}code: RolledBack\n {2}exitCode: 3$/m);
    } finally {
      await c.close();
    }
  });
});
