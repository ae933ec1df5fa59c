/**
 * The docker commands of `build-push`, as argument arrays (never a shell string), and a runner that
 * spawns them, streams their output lines and keeps the last lines of stderr for error messages.
 *
 *   buildxBuildArgs(plan)   docker buildx build ... (tags, build args, OCI labels, --push or --load)
 *   loginArgs(user)         docker login ghcr.io -u <user> --password-stdin (the token goes to stdin)
 *   maskSecrets(text, [t])  replaces every secret in text with ***
 */
import { spawn } from 'node:child_process';
import { REGISTRY } from './image.js';

export interface BuildPlan {
  /** Build context directory. */
  context: string;
  /** Dockerfile path. */
  dockerfile: string;
  /** Full image references (repository:tag). */
  tags: string[];
  platforms: string[];
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  /** Push to the registry (else load into the local docker image store). */
  push: boolean;
  /** Add --provenance mode=max and --sbom true (buildx >= 0.10, with --push). */
  attestations: boolean;
  /** Where buildx writes the build result metadata (containerimage.digest). */
  metadataFile?: string;
}

/** The argv after `docker` for the build. */
export function buildxBuildArgs(plan: BuildPlan): string[] {
  const args = ['buildx', 'build', '--file', plan.dockerfile, '--progress', 'plain'];
  if (plan.platforms.length > 0) args.push('--platform', plan.platforms.join(','));
  for (const tag of plan.tags) args.push('--tag', tag);
  for (const [k, v] of Object.entries(plan.buildArgs)) args.push('--build-arg', `${k}=${v}`);
  for (const [k, v] of Object.entries(plan.labels)) args.push('--label', `${k}=${v}`);
  if (plan.metadataFile) args.push('--metadata-file', plan.metadataFile);
  if (plan.push) {
    args.push('--push');
    if (plan.attestations) args.push('--provenance', 'mode=max', '--sbom', 'true');
  } else {
    args.push('--load');
  }
  args.push(plan.context);
  return args;
}

/** The argv after `docker` for logging in to GHCR; the token is written to stdin, never an argument. */
export function loginArgs(username: string): string[] {
  return ['login', REGISTRY, '--username', username, '--password-stdin'];
}

/** The argv after `docker` that asks the registry for the digest of a pushed reference. */
export function imagetoolsInspectArgs(ref: string): string[] {
  return ['buildx', 'imagetools', 'inspect', ref, '--format', '{{json .Manifest}}'];
}

/** Replaces each secret (4 characters or more) in `text` with `replacement` (*** by default). */
export function maskSecrets(
  text: string,
  secrets: readonly (string | undefined)[],
  replacement = '***',
): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join(replacement);
  return out;
}

/** `docker a b c` for messages, with arguments that need it quoted. */
export function formatCommand(args: readonly string[]): string {
  return ['docker', ...args]
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}

/** `github.com/docker/buildx v0.12.1 ...` → [0, 12, 1]; undefined when there is no version. */
export function parseBuildxVersion(output: string): [number, number, number] | undefined {
  const m = /\bv?(\d+)\.(\d+)\.(\d+)/.exec(output);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** buildx 0.10 added --provenance and --sbom. */
export function supportsAttestations(version: [number, number, number] | undefined): boolean {
  if (!version) return false;
  const [major, minor] = version;
  return major > 0 || minor >= 10;
}

export interface DockerRunResult {
  code: number;
  stdout: string;
  /** The last lines of stderr (at most `tailLines`). */
  stderrTail: string[];
}

export interface DockerRunOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to the process's stdin, then stdin is closed (never echoed anywhere). */
  stdin?: string;
  /** Called with every line the command writes to stdout or stderr. */
  onLine?(line: string): void;
  tailLines?: number;
}

/** Thrown when `docker` itself cannot be started (ENOENT: not on PATH). */
export class DockerNotFoundError extends Error {
  override name = 'DockerNotFoundError';
}

/** Runs `docker <args>`; resolves with the exit code (never rejects for a non-zero exit). */
export function runDocker(args: readonly string[], options: DockerRunOptions): Promise<DockerRunResult> {
  const tailLines = options.tailLines ?? 15;
  return new Promise((resolve, reject) => {
    const child = spawn('docker', [...args], {
      env: options.env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    let stdout = '';
    const tail: string[] = [];
    const partial = { out: '', err: '' };
    const feed = (which: 'out' | 'err', chunk: string) => {
      const text = partial[which] + chunk;
      const lines = text.split(/\r?\n/);
      partial[which] = lines.pop() ?? '';
      for (const line of lines) emit(which, line);
    };
    const emit = (which: 'out' | 'err', line: string) => {
      if (which === 'err') {
        tail.push(line);
        if (tail.length > tailLines) tail.shift();
      }
      if (line.trim() !== '') options.onLine?.(line);
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      feed('out', d);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => feed('err', d));
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') reject(new DockerNotFoundError('docker was not found on PATH'));
      else reject(err);
    });
    child.on('close', (code) => {
      if (partial.out) emit('out', partial.out);
      if (partial.err) emit('err', partial.err);
      resolve({ code: code ?? 1, stdout, stderrTail: tail.filter((l) => l.trim() !== '') });
    });
    child.stdin.on('error', () => {
      /* the process exited before reading stdin */
    });
    child.stdin.end(options.stdin ?? '');
  });
}
