/**
 * Secrets inside URLs never reach the output (issue #13, point 4): a password in the kubeconfig's
 * cluster server, in --prometheus-url and in verify --url is printed as `***` by errors, doctor's
 * pass and fix lines, -v and -o json; and Prometheus authentication works the proper way (a bearer
 * token from --prometheus-token-file or $PROMETHEUS_TOKEN, basic auth from $PROMETHEUS_USERNAME /
 * $PROMETHEUS_PASSWORD, or the URL's own user and password, sent as a header, never printed).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CliResult, ensureBuilt, parseJsonOutput, runCli, startFakeWorker } from '../support/cli.js';
import { type KubeSim, startKubeSim } from '../support/kube-sim/index.js';

const NS = 'production';
const SECRET = 'HUNTER2';
const TOKEN = 'prom-bearer-token-HUNTER2';
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function assertNoSecret(r: CliResult, what: string): void {
  for (const text of [r.stdout, r.stderr]) {
    assert.ok(!text.includes(SECRET), `${what} printed the secret:\n${r.stdout}\n${r.stderr}`);
    assert.ok(!text.includes(TOKEN), `${what} printed the token:\n${r.stdout}\n${r.stderr}`);
  }
}

interface DoctorJson {
  server?: string;
  checks: { name: string; status: string; evidence: string; fix?: string }[];
}

describe('secrets in URLs are never printed; Prometheus auth (built CLI)', () => {
  let sim: KubeSim;
  let dir: string;
  let leakyKubeconfig: string;
  let deadKubeconfig: string;
  let prometheus: Server;
  let promUrl: string;
  let worker: Awaited<ReturnType<typeof startFakeWorker>>;

  before(async () => {
    ensureBuilt();
    sim = await startKubeSim({ readyDelayMs: 20 });
    sim.createNamespace(NS);
    dir = await mkdtemp(join(tmpdir(), 'url-secrets-'));
    const kubeconfig = await readFile(sim.kubeconfigPath, 'utf8');
    // The same cluster, its server URL carrying a user and password (which must never be shown).
    leakyKubeconfig = join(dir, 'leaky.yaml');
    await writeFile(
      leakyKubeconfig,
      kubeconfig.replace(sim.url, sim.url.replace('://', `://admin:${SECRET}@`)),
    );
    // A server that is gone, with credentials in its URL.
    deadKubeconfig = join(dir, 'dead.yaml');
    await writeFile(deadKubeconfig, kubeconfig.replace(sim.url, `http://admin:${SECRET}@127.0.0.1:1`));
    // Prometheus behind basic auth (admin:HUNTER2) or a bearer token.
    prometheus = createServer((req: IncomingMessage, res) => {
      const ok =
        req.headers.authorization === basic('admin', SECRET) ||
        req.headers.authorization === `Bearer ${TOKEN}`;
      if (!ok) return res.writeHead(401, { 'www-authenticate': 'Basic' }).end('Unauthorized\n');
      if (req.url === '/-/ready') return res.writeHead(200).end('Prometheus Server is Ready.\n');
      if (req.url?.startsWith('/api/v1/query')) {
        return res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }));
      }
      res.writeHead(404).end();
    });
    promUrl = await listen(prometheus);
    worker = await startFakeWorker();
  });
  after(async () => {
    await sim?.close();
    prometheus?.closeAllConnections();
    await new Promise<void>((r) => (prometheus ? prometheus.close(() => r()) : r()));
    await worker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('an unreachable cluster server with a password: exit 5, the URL shown as ***, also with -v and -o json', async () => {
    for (const extra of [[], ['-v'], ['-o', 'json']]) {
      const r = await runCli(['status', '-n', NS, ...extra], {
        kubeconfig: deadKubeconfig,
        timeoutMs: 30_000,
      });
      assert.equal(r.code, 5, r.stderr);
      assert.match(r.stderr, /Cannot reach the Kubernetes API at http:\/\/\*\*\*@127\.0\.0\.1:1/);
      assertNoSecret(r, `status ${extra.join(' ')}`);
    }
  });

  it("doctor's pass lines and JSON show the cluster server without its password", async () => {
    for (const output of ['json', 'table']) {
      const r = await runCli(['doctor', '-n', NS, '-o', output], { kubeconfig: leakyKubeconfig });
      assertNoSecret(r, `doctor -o ${output}`);
      if (output === 'json') {
        const json = parseJsonOutput<DoctorJson>(r);
        const kubeconfig = json.checks.find((c) => c.name === 'kubeconfig');
        assert.equal(kubeconfig?.status, 'pass');
        assert.match(kubeconfig?.evidence ?? '', /at http:\/\/\*\*\*@127\.0\.0\.1:\d+/);
        assert.equal(json.checks.find((c) => c.name === 'cluster reachable')?.status, 'pass');
        assert.match(json.server ?? '', /^http:\/\/\*\*\*@127\.0\.0\.1:\d+$/);
      }
    }
  });

  it('doctor --url with a password in it: the URL is masked in the evidence, also with -v', async () => {
    for (const extra of [['-o', 'json'], ['-v']]) {
      const r = await runCli(['doctor', '-n', NS, '--url', `http://ops:${SECRET}@127.0.0.1:1`, ...extra], {
        kubeconfig: sim.kubeconfigPath,
      });
      assertNoSecret(r, `doctor --url ${extra.join(' ')}`);
      assert.match(r.stdout, /http:\/\/\*\*\*@127\.0\.0\.1:1\/v1\/queue/);
    }
  });

  it("doctor's pull-secret fix reads the token with read -rs, never GHCR_TOKEN=... on the command line", async () => {
    const r = await runCli(['doctor', '-n', NS, '-o', 'json'], { kubeconfig: sim.kubeconfigPath });
    const c = parseJsonOutput<DoctorJson>(r).checks.find((x) => x.name === 'image pull secret');
    assert.equal(c?.status, 'fail', 'no pull secret in this namespace');
    assert.match(c?.fix ?? '', /read -rs GHCR_TOKEN && export GHCR_TOKEN/);
    assert.doesNotMatch(c?.fix ?? '', /GHCR_TOKEN=/);
  });

  it('doctor --prometheus-url: credentials in the URL, the environment or a token file all work; none is printed', async () => {
    const tokenFile = join(dir, 'prom-token');
    await writeFile(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    const hostPort = promUrl.slice('http://'.length);
    const cases: {
      name: string;
      url: string;
      args?: string[];
      env?: Record<string, string>;
      source: RegExp;
    }[] = [
      { name: 'URL', url: `http://admin:${SECRET}@${hostPort}`, source: /basic auth as admin from the URL/ },
      {
        name: 'basic auth env',
        url: promUrl,
        env: { PROMETHEUS_USERNAME: 'admin', PROMETHEUS_PASSWORD: SECRET },
        source: /basic auth as admin from \$PROMETHEUS_USERNAME/,
      },
      {
        name: 'token env',
        url: promUrl,
        env: { PROMETHEUS_TOKEN: TOKEN },
        source: /bearer token from \$PROMETHEUS_TOKEN/,
      },
      {
        name: 'token file',
        url: promUrl,
        args: ['--prometheus-token-file', tokenFile],
        source: /bearer token from .*prom-token/,
      },
    ];
    for (const c of cases) {
      const r = await runCli(
        ['doctor', '-n', NS, '--prometheus-url', c.url, '-o', 'json', ...(c.args ?? [])],
        {
          kubeconfig: sim.kubeconfigPath,
          env: c.env,
        },
      );
      assertNoSecret(r, `doctor (${c.name})`);
      const check = parseJsonOutput<DoctorJson>(r).checks.find((x) => x.name === 'prometheus');
      assert.equal(check?.status, 'pass', `${c.name}: ${JSON.stringify(check)}`);
      assert.match(check?.evidence ?? '', c.source);
      const table = await runCli(['doctor', '-n', NS, '--prometheus-url', c.url, ...(c.args ?? [])], {
        kubeconfig: sim.kubeconfigPath,
        env: c.env,
      });
      assertNoSecret(table, `doctor table (${c.name})`);
    }
    // No credentials: a failing check whose fix names the ways to give them.
    const r = await runCli(['doctor', '-n', NS, '--prometheus-url', promUrl, '-o', 'json'], {
      kubeconfig: sim.kubeconfigPath,
    });
    const check = parseJsonOutput<DoctorJson>(r).checks.find((x) => x.name === 'prometheus');
    assert.equal(check?.status, 'fail');
    assert.match(check?.evidence ?? '', /answered 401 \(no credentials sent\)/);
    assert.match(check?.fix ?? '', /--prometheus-token-file FILE or \$PROMETHEUS_TOKEN/);
    // A wrong password in the URL: the failure shows the URL masked.
    const wrong = await runCli(
      ['doctor', '-n', NS, '--prometheus-url', `http://admin:${SECRET}x@${hostPort}`, '-o', 'json'],
      { kubeconfig: sim.kubeconfigPath },
    );
    assertNoSecret(wrong, 'doctor (wrong password)');
    const failed = parseJsonOutput<DoctorJson>(wrong).checks.find((x) => x.name === 'prometheus');
    assert.match(
      failed?.evidence ?? '',
      /^http:\/\/127\.0\.0\.1:\d+\/-\/ready answered 401 \(basic auth as admin from the URL\)/,
    );
  });

  it('report --prometheus-url authenticates and never prints the credentials; a refusal says how to authenticate', async () => {
    const ledgerDir = join(dir, 'ledger');
    const hostPort = promUrl.slice('http://'.length);
    const base = ['report', '-n', NS, '--ledger-dir', ledgerDir, '--period', 'month', '--format', 'json'];
    const withUrl = await runCli([...base, '--prometheus-url', `http://admin:${SECRET}@${hostPort}`]);
    assert.equal(withUrl.code, 0, withUrl.stderr);
    assertNoSecret(withUrl, 'report (URL credentials)');
    const report = JSON.parse(withUrl.stdout) as { infrastructure: { source: string; sourceDetail: string } };
    assert.equal(report.infrastructure.source, 'prometheus');
    assert.match(report.infrastructure.sourceDetail, /^Prometheus http:\/\/127\.0\.0\.1:\d+,/);
    const withEnv = await runCli([...base, '--prometheus-url', promUrl], {
      env: { PROMETHEUS_TOKEN: TOKEN },
    });
    assert.equal(withEnv.code, 0, withEnv.stderr);
    assertNoSecret(withEnv, 'report (token env)');
    const refused = await runCli([...base, '--prometheus-url', `http://admin:wrong${SECRET}@${hostPort}`]);
    assert.equal(refused.code, 5, refused.stderr);
    assertNoSecret(refused, 'report (refused)');
    assert.match(refused.stderr, /Prometheus at http:\/\/127\.0\.0\.1:\d+ refused the request \(HTTP 401/);
    assert.match(refused.stderr, /--prometheus-token-file/);
    const missingFile = await runCli([
      ...base,
      '--prometheus-url',
      promUrl,
      '--prometheus-token-file',
      join(dir, 'nope'),
    ]);
    assert.equal(missingFile.code, 2, missingFile.stderr);
    assert.match(missingFile.stderr, /--prometheus-token-file .*nope cannot be read \(ENOENT\)/);
  });

  it('verify --url with a user and password: sent as basic auth, the URL printed as ***', async () => {
    const hostPort = worker.url.slice('http://'.length);
    for (const output of ['table', 'json']) {
      const r = await runCli(['verify', '--url', `http://ops:${SECRET}@${hostPort}`, '-o', output]);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assertNoSecret(r, `verify --url -o ${output}`);
    }
    const bad = await runCli(['verify', '--url', `ftp://ops:${SECRET}@${hostPort}`]);
    assert.equal(bad.code, 2);
    assertNoSecret(bad, 'verify --url (not http)');
  });
});
