/**
 * What every command shares, end to end through the BUILT CLI: --help with examples, usage errors
 * (exit 2), kubeconfig problems (exit 2), unreachable cluster and access denied (exit 5, one
 * sentence, no stack trace), -e/--env namespace resolution, colour rules.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { StatusResult } from '../../src/deploy/health/status-types.js';
import { ensureBuilt, parseJsonOutput, runCli } from '../support/cli.js';
import { type KubeSim, startKubeSim } from '../support/kube-sim/index.js';

let sim: KubeSim;
let dir: string;

before(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'mobius-cli-common-'));
  sim = await startKubeSim({ readyDelayMs: 50 });
  await sim.seedDeployment({ namespace: 'production', replicas: 1, hpa: false });
  await sim.seedDeployment({ namespace: 'preview-worker', replicas: 1, hpa: false });
});
after(async () => {
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

describe('help', () => {
  it('every command has --help with a description and an Examples: section', async () => {
    const listed = (help: string) =>
      [
        ...(help.split(/^Commands:$/m)[1] ?? '').matchAll(
          /^ {2}([a-z][a-z-]*)(?: \[options\]| \[command\]| <[^>]+>| \[[^\]]+\])*\s{2,}/gm,
        ),
      ]
        .map((m) => m[1])
        .filter((c) => c !== 'help');
    const top = await runCli(['--help']);
    assert.equal(top.code, 0);
    const commands = listed(top.stdout);
    assert.ok(commands.includes('status') && commands.includes('verify'), commands.join(','));
    // Leaf commands need examples, their own or in their group's help (naming the subcommand).
    // (A token is typed first with `read -rs VAR && export VAR`, never inline: it would stay in the history.)
    const EXAMPLES = /Examples:\n\s+(mobius-deploy|node cli\/mobius-deploy\.js|read -rs [A-Z_]+) /;
    const check = async (path: string[], parentHelp = ''): Promise<void> => {
      const r = await runCli([...path, '--help']);
      assert.equal(r.code, 0, `${path.join(' ')} --help: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`Usage: mobius-deploy ${path.join(' ')}`), path.join(' '));
      const subcommands = listed(r.stdout);
      if (subcommands.length > 0) {
        for (const sub of subcommands) await check([...path, sub], r.stdout);
        return;
      }
      const inGroup = EXAMPLES.test(parentHelp) && parentHelp.includes(`mobius-deploy ${path.join(' ')}`);
      assert.ok(EXAMPLES.test(r.stdout) || inGroup, `${path.join(' ')} has no examples`);
    };
    for (const command of commands) await check([command]);
  });

  it('--version and no arguments exit 0', async () => {
    assert.equal((await runCli(['--version'])).code, 0);
    const bare = await runCli([]);
    assert.equal(bare.code, 0);
    assert.match(bare.stdout, /Usage: mobius-deploy/);
  });
});

describe('usage and configuration errors: exit 2', () => {
  it('unknown command, unknown option, bad option value', async () => {
    for (const argv of [
      ['nonsense'],
      ['status', '--no-such-flag'],
      ['status', '-o', 'xml'],
      ['status', '--max-restarts', '-3'],
      ['verify', '--smoke-timeout', 'forever'],
    ]) {
      const r = await runCli(argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^Error: /, argv.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
  });

  it('no kubeconfig at all says how to provide one', async () => {
    const r = await runCli(['status'], { env: { HOME: dir } });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^Error: No kubeconfig found, so there is no cluster to talk to\.\nHint: Pass --kubeconfig FILE, set KUBECONFIG/,
    );
  });

  it('an unknown --context lists the available ones', async () => {
    const r = await runCli(['status', '--context', 'prod'], { kubeconfig: sim.kubeconfigPath });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /Context "prod" \(from --context\) not found in .*; available contexts: kube-sim\./,
    );
  });

  it('KUBECONFIG is honoured (no --kubeconfig), and --context selects the context', async () => {
    const r = await runCli(['status', '-n', 'production', '--context', 'kube-sim', '-o', 'json'], {
      env: { KUBECONFIG: sim.kubeconfigPath, HOME: dir },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(parseJsonOutput<StatusResult>(r).context, 'kube-sim');
  });

  it('an unknown -e environment is a configuration error naming it', async () => {
    const r = await runCli(['status', '-e', 'no-such-env'], { kubeconfig: sim.kubeconfigPath });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /no-such-env/);
  });
});

describe('credentials from an exec plugin (delegated to @kubernetes/client-node)', () => {
  it('status works with a kubeconfig whose user runs an exec credential plugin', async () => {
    const plugin = join(dir, 'get-token.mjs');
    writeFileSync(
      plugin,
      `process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: ${JSON.stringify(sim.token)} } }));\n`,
    );
    const kubeconfig = join(dir, 'exec.yaml');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1
kind: Config
current-context: exec
clusters:
- name: sim
  cluster:
    server: ${sim.url}
    insecure-skip-tls-verify: true
users:
- name: exec-user
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ${process.execPath}
      args: [${JSON.stringify(plugin)}]
      interactiveMode: Never
contexts:
- name: exec
  context:
    cluster: sim
    user: exec-user
`,
    );
    const r = await runCli(['status', '-n', 'production', '--no-queue', '-o', 'json'], { kubeconfig });
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    assert.equal(parseJsonOutput<StatusResult>(r).context, 'exec');
  });

  it('a failing exec plugin is a configuration error naming the context', async () => {
    const kubeconfig = join(dir, 'exec-broken.yaml');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1
kind: Config
current-context: broken
clusters: [{name: sim, cluster: {server: "${sim.url}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: ${JSON.stringify(join(dir, 'no-such-plugin'))}, interactiveMode: Never}}}]
contexts: [{name: broken, context: {cluster: sim, user: u}}]
`,
    );
    const r = await runCli(['status', '-n', 'production'], { kubeconfig });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^Error: Cannot get credentials for context broken \(user u\)/);
  });
});

describe('namespace resolution end to end', () => {
  it('defaults to preview-worker, then $MOBIUS_NAMESPACE, then -e, then -n', async () => {
    const ns = async (args: string[], env: Record<string, string> = {}) => {
      const r = await runCli(['status', '--no-queue', '-o', 'json', ...args], {
        kubeconfig: sim.kubeconfigPath,
        env,
      });
      return r.code === 0 || r.code === 1
        ? parseJsonOutput<StatusResult>(r).namespace
        : `exit ${r.code}: ${r.stderr}`;
    };
    assert.equal(await ns([]), 'preview-worker');
    assert.equal(await ns([], { MOBIUS_NAMESPACE: 'production' }), 'production');
    assert.equal(await ns(['-e', 'production'], { MOBIUS_NAMESPACE: 'preview-worker' }), 'production');
    assert.equal(await ns(['-e', 'production', '-n', 'preview-worker']), 'preview-worker');
  });
});

describe('the cluster cannot be reached or access is denied: exit 5', () => {
  it('connection refused: one sentence naming the server and context, no stack trace', async () => {
    const port = await closedPort();
    const kubeconfig = join(dir, 'dead.yaml');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\ncurrent-context: dead\nclusters:\n- name: dead\n  cluster:\n    server: http://127.0.0.1:${port}\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: dead\n  context:\n    cluster: dead\n    user: u\n`,
    );
    for (const command of ['status', 'verify']) {
      const r = await runCli([command, '-n', 'production'], { kubeconfig });
      assert.equal(r.code, 5, `${command}: ${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(
        lines[0],
        `Error: Cannot reach the Kubernetes API at http://127.0.0.1:${port}: connection refused. Check your kubeconfig context (dead) and network.`,
      );
      assert.ok(lines.length <= 2, r.stderr);
      assert.equal(r.stdout, '');
    }
  });

  it('a wrong token: 401 explained, exit 5', async () => {
    const kubeconfig = join(dir, 'badtoken.yaml');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: c\n  cluster:\n    server: ${sim.url}\nusers:\n- name: u\n  user:\n    token: wrong-token\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\n`,
    );
    const r = await runCli(['status', '-n', 'production'], { kubeconfig });
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /rejected your credentials \(401 Unauthorized\) for context c/);
  });

  it('403 on deployments for verify names the verb and resource', async () => {
    const undo = sim.deny({ verb: 'get', resource: 'deployments', namespace: 'production' });
    try {
      const r = await runCli(['verify', '-n', 'production'], { kubeconfig: sim.kubeconfigPath });
      assert.equal(r.code, 5, r.stderr);
      assert.match(
        r.stderr,
        /^Error: Access denied: .*cannot get deployments\.apps in namespace production \(RBAC verb get, resource deployments\.apps\)\.\nHint: Ask a cluster admin to grant it/,
      );
    } finally {
      undo();
    }
  });

  it('-v shows the stack for the same failure', async () => {
    const undo = sim.deny({ verb: 'list', resource: 'pods', namespace: 'production' });
    try {
      const r = await runCli(['status', '-n', 'production', '-v'], { kubeconfig: sim.kubeconfigPath });
      assert.equal(r.code, 5);
      assert.match(r.stderr, /\n\s+at /);
    } finally {
      undo();
    }
  });
});

describe('colour', () => {
  it('no colour when piped; FORCE_COLOR turns it on; --no-color and NO_COLOR win', async () => {
    const plain = await runCli(['status', '-n', 'production', '--no-queue'], {
      kubeconfig: sim.kubeconfigPath,
    });
    assert.doesNotMatch(plain.stdout, /\u001b\[/);
    const forced = await runCli(['status', '-n', 'production', '--no-queue'], {
      kubeconfig: sim.kubeconfigPath,
      env: { NO_COLOR: undefined, FORCE_COLOR: '1' },
    });
    assert.match(forced.stdout, /\u001b\[32m/);
    const off = await runCli(['status', '-n', 'production', '--no-queue', '--no-color'], {
      kubeconfig: sim.kubeconfigPath,
      env: { NO_COLOR: undefined, FORCE_COLOR: '1' },
    });
    assert.doesNotMatch(off.stdout, /\u001b\[/);
  });

  it('-q prints nothing for a table and keeps the exit code', async () => {
    const r = await runCli(['status', '-n', 'production', '--no-queue', '-q'], {
      kubeconfig: sim.kubeconfigPath,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
  });
});
