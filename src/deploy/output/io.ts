/** The streams and environment a command writes to; injected so tests can capture output. */
export interface OutputStream {
  write(chunk: string): unknown;
  /** True when the stream is a terminal. */
  isTTY?: boolean;
  /** Terminal width in columns, when known. */
  columns?: number;
}

export interface CliIO {
  stdout: OutputStream;
  stderr: OutputStream;
  env: NodeJS.ProcessEnv;
}

/** The real process streams. */
export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** An in-memory stream, for tests and for rendering into a string. */
export class BufferStream implements OutputStream {
  text = '';
  constructor(
    public isTTY = false,
    public columns?: number,
  ) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}
