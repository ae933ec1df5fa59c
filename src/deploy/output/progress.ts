/**
 * Progress for long waits (rollouts, smoke jobs). On a TTY: a spinner with one live line that is
 * rewritten in place. Otherwise: plain lines with an ISO timestamp, printed only when the message
 * changes. Progress goes to stderr so stdout stays clean for -o json/yaml. Quiet mode prints nothing.
 */
import type { OutputStream } from './io.js';

export interface ProgressReporter {
  /** Show (or replace) the current activity. */
  update(message: string): void;
  /** Print a permanent line (an event worth keeping in the log). */
  info(message: string): void;
  /** Finish the current activity successfully. */
  succeed(message: string): void;
  /** Finish the current activity with a failure. */
  fail(message: string): void;
  /** Clear any live line and stop the spinner. */
  stop(): void;
}

export interface ProgressOptions {
  stream: OutputStream;
  /** Live spinner (TTY) or timestamped lines. Defaults to stream.isTTY. */
  live?: boolean;
  color?: boolean;
  quiet?: boolean;
  /** Injected clock, for tests. */
  now?: () => Date;
  /** Spinner frame interval in ms. */
  intervalMs?: number;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function createProgressReporter(options: ProgressOptions): ProgressReporter {
  const { stream } = options;
  const now = options.now ?? (() => new Date());
  if (options.quiet) {
    const noop = () => {};
    return { update: noop, info: noop, succeed: noop, fail: noop, stop: noop };
  }
  const live = options.live ?? stream.isTTY === true;
  const green = (s: string) => (options.color ? `\u001b[32m${s}\u001b[39m` : s);
  const red = (s: string) => (options.color ? `\u001b[31m${s}\u001b[39m` : s);

  if (!live) {
    let last: string | undefined;
    const line = (msg: string) => stream.write(`${now().toISOString()} ${msg}\n`);
    return {
      update(message) {
        if (message === last) return;
        last = message;
        line(message);
      },
      info: (m) => line(m),
      succeed: (m) => {
        last = undefined;
        line(`✔ ${m}`);
      },
      fail: (m) => {
        last = undefined;
        line(`✖ ${m}`);
      },
      stop() {},
    };
  }

  let current = '';
  let frame = 0;
  let timer: NodeJS.Timeout | undefined;
  const clear = () => stream.write('\r\u001b[2K');
  const draw = () => {
    clear();
    const width = stream.columns ?? 120;
    const text = `${FRAMES[frame % FRAMES.length]} ${current}`;
    stream.write(text.length > width - 1 ? `${text.slice(0, width - 2)}…` : text);
  };
  const ensureTimer = () => {
    if (timer) return;
    timer = setInterval(() => {
      frame++;
      draw();
    }, options.intervalMs ?? 100);
    timer.unref();
  };
  const stopTimer = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };
  const permanent = (text: string) => {
    clear();
    stream.write(`${text}\n`);
    if (timer) draw();
  };
  return {
    update(message) {
      current = message;
      ensureTimer();
      draw();
    },
    info: (m) => permanent(m),
    succeed(m) {
      stopTimer();
      permanent(`${green('✔')} ${m}`);
    },
    fail(m) {
      stopTimer();
      permanent(`${red('✖')} ${m}`);
    },
    stop() {
      stopTimer();
      clear();
    },
  };
}
