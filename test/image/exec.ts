/**
 * Running programs for `npm run test:image`: always an argument array (no shell), output captured,
 * and for long steps (debootstrap, podman build) every line handed to a callback as it arrives and
 * appended to a log file, so the progress lines can say what is happening and a failure can show
 * the end of the log.
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';

export interface RunResult {
  /** exit code, or null when the program was killed by a signal */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** set when the program could not be started at all */
  error?: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  input?: string;
}

export function runSync(program: string, args: readonly string[], opts: RunOptions = {}): RunResult {
  const r = spawnSync(program, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    encoding: 'utf8',
    input: opts.input,
    maxBuffer: 256 * 1024 * 1024,
    timeout: opts.timeoutMs ?? 10 * 60_000,
  });
  return {
    code: r.status,
    signal: r.signal,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
    error: r.error ? ((r.error as NodeJS.ErrnoException).code ?? r.error.message) : undefined,
  };
}

export interface StreamOptions extends RunOptions {
  /** each line of stdout and stderr, as it arrives */
  onLine?: (line: string) => void;
  /** every line is appended here too */
  logFile?: string;
}

/** Runs a program to its end, streaming its lines; resolves with everything it printed. */
export function runStreaming(
  program: string,
  args: readonly string[],
  opts: StreamOptions = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(program, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: string[] = [];
    const err: string[] = [];
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    const lineSplitter = (sink: string[]) => {
      let rest = '';
      return (chunk: Buffer) => {
        const text = rest + chunk.toString('utf8');
        const lines = text.split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) emit(sink, line);
      };
    };
    const emit = (sink: string[], line: string) => {
      sink.push(line);
      if (opts.logFile) appendFileSync(opts.logFile, `${line}\n`);
      opts.onLine?.(line);
    };
    child.stdout.on('data', lineSplitter(out));
    child.stderr.on('data', lineSplitter(err));
    let startError: string | undefined;
    child.on('error', (e) => {
      startError = (e as NodeJS.ErrnoException).code ?? e.message;
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout: out.join('\n'), stderr: err.join('\n'), error: startError });
    });
  });
}

/** The last n non-empty lines of a program's output, for an error message. */
export function tail(text: string, n = 20): string {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .slice(-n)
    .join('\n');
}

/** One line saying how a run ended, for error messages. */
export function describeEnd(r: RunResult): string {
  if (r.error) return `could not start (${r.error})`;
  if (r.signal) return `was killed by ${r.signal}`;
  return `exited ${r.code}`;
}
