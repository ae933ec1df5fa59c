/**
 * Where the worker's log lines go (stdout by default): gathered in memory and written with one
 * write(2) when 16 KiB have gathered or 50 ms after the oldest unwritten line, whichever comes
 * first, and synchronously at exit (process 'exit', which process.exit() and the end of a graceful
 * shutdown both reach).
 *
 * Why not a write per line (pino's default): every job logs a line, and on this project's machines
 * a write(2) per line cost ~10 us of the worker's one thread per job under load, more than the rest
 * of the job's own work (`npm run bench:worker`, dry-run pipeline). pino's own buffering
 * (sonic-boom `minLength`) measures the buffer's UTF-8 length on every line, which costs about as
 * much as it saves.
 *
 * What this trades: a process killed without warning (SIGKILL, the kernel's OOM killer, a V8 fatal
 * error) loses at most the last 50 ms of lines. The jobs themselves lose nothing: their state is in
 * Redis. Lines are never reordered, and a line is never split across writes by another writer.
 */
import { writeSync } from 'node:fs';

export interface BufferedLineWriterOptions {
  /** File descriptor to write to (default 1, stdout). */
  fd?: number;
  /** Write once this many characters have gathered (default 16384). */
  maxChars?: number;
  /** Write at most this long after the oldest unwritten line (default 50 ms). */
  maxDelayMs?: number;
}

const live = new Set<BufferedLineWriter>();
let exitHookInstalled = false;

/** Write out every writer's gathered lines now (before printing to stdout directly, for example). */
export function flushLogWriters(): void {
  for (const w of live) w.flushSync();
}

/** How long to wait for a non-blocking fd that answers EAGAIN before trying again. */
const EAGAIN_WAIT_MS = 1;
const EAGAIN_ATTEMPTS = 1000;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

export class BufferedLineWriter {
  private pending = '';
  private timer: NodeJS.Timeout | undefined;
  private readonly fd: number;
  private readonly maxChars: number;
  private readonly maxDelayMs: number;
  /** Allocated at the first write out: a logger that never writes costs no buffer. */
  private scratch: Buffer | undefined;
  /** Lines dropped because the fd was closed (EPIPE) or stayed full; counted, never thrown. */
  dropped = 0;

  constructor(opts: BufferedLineWriterOptions = {}) {
    this.fd = opts.fd ?? 1;
    this.maxChars = opts.maxChars ?? 16_384;
    this.maxDelayMs = opts.maxDelayMs ?? 50;
    live.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', flushLogWriters);
    }
  }

  /** pino's destination interface: one call per line, the line ends with '\n'. */
  write(line: string): boolean {
    this.pending += line;
    if (this.pending.length >= this.maxChars) this.flushSync();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flushSync();
      }, this.maxDelayMs);
      this.timer.unref();
    }
    return true;
  }

  /** pino's `logger.flush()` calls this. */
  flush(cb?: (err?: Error) => void): void {
    this.flushSync();
    cb?.();
  }

  flushSync(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pending === '') return;
    // Encoded into a buffer kept for the purpose (a new one per write was a measurable share of a
    // line's cost); a batch larger than it (long lines) gets a buffer of its own.
    const text = this.pending;
    this.pending = '';
    // Room for a full batch plus one more line, at 3 bytes a character in the worst case.
    this.scratch ??= Buffer.allocUnsafeSlow((this.maxChars + 4096) * 3);
    let data: Buffer;
    if (text.length * 3 <= this.scratch.length) {
      data = this.scratch.subarray(0, this.scratch.write(text, 0, 'utf8'));
    } else data = Buffer.from(text, 'utf8');
    let offset = 0;
    let waits = 0;
    while (offset < data.length) {
      try {
        offset += writeSync(this.fd, data, offset, data.length - offset);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' && waits < EAGAIN_ATTEMPTS) {
          // A non-blocking pipe that is full: wait for the reader, as sonic-boom does.
          waits += 1;
          Atomics.wait(sleepCell, 0, 0, EAGAIN_WAIT_MS);
          continue;
        }
        // EPIPE (nobody reads any more), EBADF, or a reader stuck for a second: drop the rest
        // rather than throw from a log call.
        this.dropped += data.subarray(offset).toString('utf8').split('\n').length - 1;
        return;
      }
    }
  }

  /** Write what is left and stop (tests; a process that ends flushes at 'exit' anyway). */
  end(): void {
    this.flushSync();
    live.delete(this);
  }
}
