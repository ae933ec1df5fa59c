/**
 * What `npm run test:image` prints while it works: one line per step and per check, each with the
 * time since the start, on stderr (a TTY and a CI log read the same lines; long waits add a line at
 * least every 10 to 15 seconds saying what they wait for).
 */
export interface Progress {
  /** a new phase: "== building the image" */
  step(title: string): void;
  /** what is happening inside the phase */
  info(line: string): void;
  /** a check that held */
  pass(line: string): void;
  /** a check that did not hold (remembered for the summary) */
  fail(line: string): void;
  failures(): string[];
}

export function createProgress(
  write: (text: string) => void = (t) => process.stderr.write(t),
  now: () => number = Date.now,
): Progress {
  const started = now();
  const failed: string[] = [];
  const stamp = () => `[${((now() - started) / 1000).toFixed(1).padStart(6)}s]`;
  const out = (mark: string, line: string) => {
    const [first, ...rest] = line.split('\n');
    write(`test:image ${stamp()} ${mark}${first}\n`);
    for (const more of rest) write(`test:image           ${' '.repeat(mark.length)}${more}\n`);
  };
  return {
    step: (title) => out('== ', title),
    info: (line) => out('   ', line),
    pass: (line) => out('ok ', line),
    fail: (line) => {
      failed.push(line);
      out('FAIL ', line);
    },
    failures: () => [...failed],
  };
}
