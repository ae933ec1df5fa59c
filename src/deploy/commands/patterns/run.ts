/**
 * `patterns`: mine log files or standard input into templates with the same miner and the same
 * line parsing as `logs --patterns` (pino and other JSON lines by their msg and keys, plain text
 * as it is). A source may be gzip (told by its magic bytes, not its name). Never prints: the
 * result, and the per-line assignments through a callback.
 */

import { createReadStream } from 'node:fs';
import { access, constants, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { UsageError } from '../../errors.js';
import { droppedNote } from '../../patterns/log-pattern-table.js';
import { ERROR_LEVEL, parseLogLine } from '../../patterns/log-record.js';
import { LogTemplateMiner, type MinerDropped, type TemplateSummary } from '../../patterns/log-templates.js';

export interface PatternSource {
  /** The file name as given, or "-" for standard input. */
  name: string;
}

export interface PatternsRequest {
  sources: PatternSource[];
  /** Standard input, for a "-" source. */
  stdin: Readable;
  /** Keep the template id of every line for assignments (see onAssign). */
  assign?: boolean;
  maxShapes?: number;
}

/** One input line and the template it was put in (null for an empty or a dropped line). */
export interface LineAssignment {
  source: string;
  /** 1-based line number within its source. */
  line: number;
  template: number | null;
}

export interface PatternsFileResult {
  sources: string[];
  linesRead: number;
  linesMined: number;
  errorLines: number;
  templates: TemplateSummary[];
  dropped: MinerDropped;
  notes: Array<{ kind: 'templates-dropped'; message: string }>;
}

/** A file that cannot be read is a usage error (exit 2) naming it. */
async function checkReadable(name: string): Promise<void> {
  try {
    const s = await stat(name);
    if (s.isDirectory()) throw new UsageError(`${name} is a directory, not a log file.`);
    await access(name, constants.R_OK);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new UsageError(`${name}: no such file. Give a log file, or - for standard input.`);
    if (code === 'EACCES' || code === 'EPERM')
      throw new UsageError(`${name}: permission denied; cannot read it.`);
    throw new UsageError(`${name}: cannot read it (${(err as Error).message}).`);
  }
}

/** The bytes of a stream, gunzipped when they start with gzip's magic bytes (1f 8b). */
async function* decoded(stream: Readable): AsyncGenerator<Buffer> {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  let head = Buffer.alloc(0);
  // Two bytes decide; standard input may deliver fewer in its first chunk.
  while (head.length < 2) {
    const r = await it.next();
    if (r.done) break;
    head = Buffer.concat([head, typeof r.value === 'string' ? Buffer.from(r.value) : r.value]);
  }
  async function* all(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    }
  }
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    yield* Readable.from(all()).pipe(createGunzip()) as AsyncIterable<Buffer>;
  } else {
    yield* all();
  }
}

/** Lines of a stream (LF or CRLF; a last line without a newline counts). */
async function* lines(stream: Readable): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of decoded(stream)) {
    const text = rest + decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      yield text.charCodeAt(nl - 1) === 13 ? text.slice(start, nl - 1) : text.slice(start, nl);
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  rest += decoder.end();
  if (rest !== '') yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}

/**
 * Mine every source in order. `onAssign` gets, after mining, every line's template id in input
 * order (ids are final only once every line is in).
 */
export async function mineLogFiles(
  req: PatternsRequest,
  onAssign?: (a: LineAssignment) => void,
): Promise<PatternsFileResult> {
  const names = req.sources.map((s) => s.name);
  if (names.filter((n) => n === '-').length > 1)
    throw new UsageError('- (standard input) can be given once.');
  for (const name of names) if (name !== '-') await checkReadable(name);
  const miner = new LogTemplateMiner({ maxShapes: req.maxShapes });
  let linesRead = 0;
  let errorLines = 0;
  // One shape id per line for --assign, 4 bytes a line (a plain array takes 8).
  let shapeIds = new Int32Array(req.assign ? 1024 : 0);
  let assigned = 0;
  const bySource: Array<{ name: string; lines: number }> = [];
  for (const name of names) {
    const stream = name === '-' ? req.stdin : createReadStream(name);
    let n = 0;
    try {
      for await (const line of lines(stream)) {
        n++;
        linesRead++;
        const record = parseLogLine(line);
        if ((record.level ?? 0) >= ERROR_LEVEL) errorLines++;
        const id = miner.addRecord(record, name === '-' ? 'stdin' : name);
        if (req.assign) {
          if (assigned === shapeIds.length) {
            const grown = new Int32Array(shapeIds.length * 2);
            grown.set(shapeIds);
            shapeIds = grown;
          }
          shapeIds[assigned++] = id;
        }
      }
    } catch (err) {
      if (err instanceof UsageError) throw err;
      const what = name === '-' ? 'standard input' : name;
      throw new UsageError(`${what}: cannot read it after ${n} line(s) (${(err as Error).message}).`);
    }
    bySource.push({ name, lines: n });
  }
  const templates = miner.templates();
  const dropped = miner.dropped;
  if (onAssign) {
    const ids = miner.resolve(shapeIds.subarray(0, assigned));
    let k = 0;
    for (const s of bySource) {
      for (let line = 1; line <= s.lines; line++) {
        const id = ids[k++];
        onAssign({ source: s.name, line, template: id === 0 ? null : id });
      }
    }
  }
  const note = droppedNote(dropped);
  return {
    sources: names,
    linesRead,
    linesMined: miner.lines,
    errorLines,
    templates,
    dropped,
    notes: note ? [{ kind: 'templates-dropped', message: note }] : [],
  };
}
