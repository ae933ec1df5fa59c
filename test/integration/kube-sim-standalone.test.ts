// `npm run kube-sim` (test/support/kube-sim/main.ts) as a process: it seeds the chosen scenario,
// prints the kubeconfig path and example commands, serves until SIGINT and cleans up.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = join(root, 'test', 'support', 'kube-sim', 'main.ts');

interface Started {
  child: ChildProcess;
  kubeconfig: string;
  output: () => string;
}

function start(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c) => {
    out += c.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kube-sim did not start in time; output:\n${out}`));
    }, 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kube-sim exited with ${code}; output:\n${out}`));
    });
    const check = setInterval(() => {
      const m = /kubeconfig: (\S+)/.exec(out);
      if (m && out.includes('Press Ctrl-C to stop.')) {
        clearInterval(check);
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({ child, kubeconfig: m[1], output: () => out });
      }
    }, 20);
  });
}

async function stop(s: Started): Promise<number | null> {
  if (s.child.exitCode !== null) return s.child.exitCode;
  const exited = new Promise<number | null>((resolve) => s.child.on('exit', (code) => resolve(code)));
  s.child.kill('SIGINT');
  return exited;
}

function clients(kubeconfig: string) {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return { core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api) };
}

describe('npm run kube-sim (standalone)', () => {
  it('--scenario crashloop: revision 2 crash-loops over a healthy revision 1; SIGINT stops it and removes the kubeconfig', async () => {
    const s = await start(['--scenario', 'crashloop', '--ready-delay', '60']);
    try {
      assert.match(s.output(), /KUBECONFIG=\S+ *\n/);
      assert.match(s.output(), /node cli\/mobius-deploy\.js status -n production/);
      const { core, apps } = clients(s.kubeconfig);
      const d = await apps.readNamespacedDeployment({ name: 'preview-worker', namespace: 'production' });
      assert.equal(d.metadata?.labels?.['app.kubernetes.io/name'], 'preview-worker');
      assert.equal(
        d.spec?.template.spec?.containers[0].image,
        'ghcr.io/mobius/preview-worker:2.0.0-crashloop',
      );
      let crashing = false;
      for (let i = 0; i < 200 && !crashing; i++) {
        const pods = await core.listNamespacedPod({
          namespace: 'production',
          labelSelector: 'app.kubernetes.io/name=preview-worker',
        });
        crashing = pods.items.some(
          (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff',
        );
        if (!crashing) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(crashing, 'a pod of revision 2 is in CrashLoopBackOff');
      const svc = await core.readNamespacedService({ name: 'preview-worker', namespace: 'production' });
      assert.equal(svc.spec?.ports?.[0].targetPort, 'http');
    } finally {
      assert.equal(await stop(s), 0);
    }
    assert.equal(existsSync(s.kubeconfig), false, 'the temporary kubeconfig is removed');
  });

  it('--scenario fifty-pods serves 50 ready pods; an unknown scenario is a usage error', async () => {
    const s = await start(['--scenario', 'fifty-pods', '--ready-delay', '30']);
    try {
      const { core } = clients(s.kubeconfig);
      const pods = await core.listNamespacedPod({ namespace: 'production' });
      assert.equal(pods.items.length, 50);
      assert.ok(
        pods.items.every((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')),
      );
    } finally {
      assert.equal(await stop(s), 0);
    }
    const bad = spawn(process.execPath, ['--import', 'tsx', MAIN, '--scenario', 'nope'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    bad.stderr.on('data', (c) => {
      err += c.toString();
    });
    const code = await new Promise<number | null>((resolve) => bad.on('exit', resolve));
    assert.equal(code, 2);
    assert.match(err, /Unknown scenario "nope". Choose one of: healthy, crashloop/);
  });
});
