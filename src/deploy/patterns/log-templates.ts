// The log template miner behind `logs --patterns` and `patterns`.
//
// 1. Masking (log-mask.ts): numbers, hex ids, uuids, IPv4/IPv6, durations, timestamps, mixed
//    letter-and-digit ids and key=value values become typed placeholders (<NUM>, <IP>, <ID>, ...).
// 2. Shapes: each distinct masked token sequence (per level) is one shape, with its line count,
//    first and last time, pods and an example. A cache (a trie over masked tokens) maps an
//    already-seen sequence straight to its shape: one Map lookup per token, no allocation.
// 3. Templates (log-partition.ts): shapes of one level and token count are partitioned by the
//    positions whose few constant values tell events apart; masks of any type are one variable,
//    and so is a unit after a number (`93.0 B`, `5.2 KB`).
// 4. Templates of one level and different token counts with the same constant words (three or
//    more) are one template: a variable that took more tokens in some lines (`0 bytes sent`,
//    `1190 bytes (1.16 KB) sent`).
//
// Lines of different levels never share a template (a warn and an error with the same text are
// two findings). Memory is bounded: at `maxShapes` distinct shapes the rarer half is dropped
// (counted, and reported as templates dropped), so an endless stream of new shapes cannot grow
// the miner without end.

import { TokenMemo, tokenizeAndMask } from './log-mask.js';
import { type ConstantWords, mergedTemplateTokens, partition, templateTokens } from './log-partition.js';
import { ERROR_LEVEL, LOG_LEVELS, type LogLevelName, type LogRecord } from './log-record.js';
import { fieldTokens } from './log-tokens.js';

export interface MinerOptions {
  /** Characters of the first line kept as an example per template. Default 300. */
  exampleLength?: number;
  /** Distinct line shapes kept before the rarer half is dropped. Default 50,000. */
  maxShapes?: number;
}

export interface TemplateSummary {
  /** Stable within one mining run: the order in which templates were first seen, from 1. */
  id: number;
  template: string;
  level: LogLevelName;
  count: number;
  /** ISO time of the earliest / latest line (undefined when lines carried no time). */
  firstSeen?: string;
  lastSeen?: string;
  /** Line count per pod, pods sorted by name. */
  pods: Record<string, number>;
  /** The first line seen in this template (truncated). */
  example: string;
}

/** What the shape cap dropped: shapes (each at least one template's worth of lines) and lines. */
export interface MinerDropped {
  templates: number;
  lines: number;
}

interface Shape {
  /** Order of first sight, from 1. */
  id: number;
  tokens: string[];
  level: LogLevelName;
  count: number;
  first: number;
  last: number;
  pods: Map<string, number>;
  example: string;
  dropped: boolean;
}

const LEVEL_RANK: Record<LogLevelName, number> = {
  fatal: 6,
  error: 5,
  warn: 4,
  info: 3,
  debug: 2,
  trace: 1,
  unknown: 0,
};

function isErrorLevel(level: LogLevelName): boolean {
  return level !== 'unknown' && LOG_LEVELS[level] >= ERROR_LEVEL;
}

/** Nodes of the sequence → shape cache (a trie over masked tokens) before it starts afresh. */
const MAX_CACHE_NODES = 200_000;

/** Tokens of a line beyond this are not mined (a huge line would otherwise cost as much as hundreds). */
const MAX_TOKENS = 120;

const MAX_MESSAGE_CACHE = 20_000;

interface CacheNode {
  next: Map<string, CacheNode> | undefined;
  shape: Shape | undefined;
}

interface Template {
  id: number;
  tokens: string[];
  shapes: Shape[];
  level: LogLevelName;
  count: number;
  first: number;
  last: number;
  /** Its constant words (for merging across token counts); undefined when it has too few. */
  words?: ConstantWords;
}

/**
 * Templates of one level with the same constant words but different token counts are one
 * template (see ConstantWords): a variable that took one token in some lines and several in others.
 */
function mergeByConstantWords(templates: Template[]): Template[] {
  const byKey = new Map<string, Array<Template & { words: ConstantWords }>>();
  const out: Template[] = [];
  for (const t of templates) {
    if (t.words === undefined) {
      out.push(t);
      continue;
    }
    const key = `${t.level}\u0001${t.words.key}`;
    const list = byKey.get(key);
    if (list === undefined) byKey.set(key, [{ ...t, words: t.words }]);
    else list.push({ ...t, words: t.words });
  }
  for (const list of byKey.values()) {
    if (list.length === 1) {
      out.push(list[0]);
      continue;
    }
    out.push({
      id: 0,
      tokens: mergedTemplateTokens(list.map((t) => ({ tokens: t.tokens, positions: t.words.positions }))),
      shapes: list.flatMap((t) => t.shapes).sort((a, b) => a.id - b.id),
      level: list[0].level,
      count: list.reduce((n, t) => n + t.count, 0),
      first: Math.min(...list.map((t) => t.first)),
      last: Math.max(...list.map((t) => t.last)),
    });
  }
  return out;
}

export class LogTemplateMiner {
  private readonly exampleLength: number;
  private readonly maxShapes: number;
  private readonly cacheRoots = new Map<string, CacheNode>();
  private cacheNodes = 0;
  private readonly shapes = new Map<string, Shape>();
  private nextShapeId = 1;
  private readonly scratch: string[] = [];
  private readonly messageCache = new Map<string, string[]>();
  private readonly tokenMemo = new TokenMemo();
  private lineCount = 0;
  private readonly droppedCount: MinerDropped = { templates: 0, lines: 0 };
  private grouped: { templates: Template[]; byShape: Map<number, number> } | undefined;

  constructor(options: MinerOptions = {}) {
    this.exampleLength = options.exampleLength ?? 300;
    this.maxShapes = Math.max(2, options.maxShapes ?? 50_000);
  }

  /** Lines added so far (empty lines are not counted). */
  get lines(): number {
    return this.lineCount;
  }

  /** Templates found so far. */
  get size(): number {
    return this.group().templates.length;
  }

  /** What the shape cap dropped so far. */
  get dropped(): MinerDropped {
    return { ...this.droppedCount };
  }

  /** Add a parsed log record: a JSON line is mined as its msg plus its keys (masked values). */
  addRecord(record: LogRecord, pod = ''): number {
    const tokens = this.maskMessage(record.msg);
    if (record.json) fieldTokens(record.source ?? record.fields, tokens);
    return this.addTokens(tokens, record.levelName, record.time, pod, record.raw);
  }

  /** Add a plain message. Returns the line's shape id (see resolve), or 0 for an empty message. */
  addMessage(message: string, level: LogLevelName = 'unknown', time?: number, pod = ''): number {
    return this.addTokens(tokenizeAndMask(message, this.scratch, this.tokenMemo), level, time, pod, message);
  }

  /** Add an already masked token sequence (not kept; cut to 120 tokens). Returns its shape id, or 0. */
  addTokens(
    tokens: string[],
    level: LogLevelName,
    time: number | undefined,
    pod: string,
    example: string,
  ): number {
    if (tokens.length === 0) return 0;
    if (tokens.length > MAX_TOKENS) tokens.length = MAX_TOKENS;
    this.lineCount++;
    this.grouped = undefined;
    if (this.cacheNodes >= MAX_CACHE_NODES) this.clearCache();
    let node: CacheNode | undefined = this.cacheRoots.get(level);
    if (node === undefined) {
      node = { next: undefined, shape: undefined };
      this.cacheRoots.set(level, node);
    }
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i];
      let next: CacheNode | undefined = node.next?.get(token);
      if (next === undefined) {
        next = { next: undefined, shape: undefined };
        if (node.next === undefined) node.next = new Map();
        node.next.set(token, next);
        this.cacheNodes++;
      }
      node = next;
    }
    let shape = node.shape;
    if (shape === undefined || shape.dropped) {
      shape = this.findShape(tokens, level, example);
      node.shape = shape;
    }
    shape.count++;
    if (time !== undefined) {
      if (time < shape.first) shape.first = time;
      if (time > shape.last) shape.last = time;
    }
    shape.pods.set(pod, (shape.pods.get(pod) ?? 0) + 1);
    return shape.id;
  }

  /**
   * The template id of each id `addMessage`/`addRecord`/`addTokens` returned (0 for an empty line
   * or a shape the cap dropped). `ids` is rewritten in place and returned.
   */
  resolve<T extends number[] | Int32Array>(ids: T): T {
    const { byShape } = this.group();
    for (let i = 0; i < ids.length; i++) ids[i] = byShape.get(ids[i]) ?? 0;
    return ids;
  }

  /** Templates ranked: error-level (error, fatal) first, then by count, then by level and first seen. */
  templates(): TemplateSummary[] {
    const sorted = [...this.group().templates].sort((a, b) => {
      const ea = isErrorLevel(a.level) ? 1 : 0;
      const eb = isErrorLevel(b.level) ? 1 : 0;
      if (ea !== eb) return eb - ea;
      if (a.count !== b.count) return b.count - a.count;
      const la = LEVEL_RANK[a.level];
      const lb = LEVEL_RANK[b.level];
      if (la !== lb) return lb - la;
      if (a.first !== b.first) return a.first - b.first;
      return a.id - b.id;
    });
    return sorted.map((t) => {
      const counts = new Map<string, number>();
      for (const s of t.shapes) for (const [p, n] of s.pods) counts.set(p, (counts.get(p) ?? 0) + n);
      const pods: Record<string, number> = {};
      for (const name of [...counts.keys()].sort()) pods[name] = counts.get(name)!;
      return {
        id: t.id,
        template: t.tokens.join(' '),
        level: t.level,
        count: t.count,
        firstSeen: Number.isFinite(t.first) ? new Date(t.first).toISOString() : undefined,
        lastSeen: Number.isFinite(t.last) ? new Date(t.last).toISOString() : undefined,
        pods,
        example: t.shapes[0].example,
      };
    });
  }

  private group(): { templates: Template[]; byShape: Map<number, number> } {
    if (this.grouped !== undefined) return this.grouped;
    const byLength = new Map<string, Shape[]>();
    for (const s of this.shapes.values()) {
      const k = `${s.level}\u0001${s.tokens.length}`;
      const list = byLength.get(k);
      if (list === undefined) byLength.set(k, [s]);
      else list.push(s);
    }
    const templates: Template[] = [];
    for (const list of byLength.values()) {
      for (const { shapes: g, words } of partition(list)) {
        const shapes = g.sort((a, b) => a.id - b.id);
        let count = 0;
        let first = Number.POSITIVE_INFINITY;
        let last = Number.NEGATIVE_INFINITY;
        for (const s of shapes) {
          count += s.count;
          if (s.first < first) first = s.first;
          if (s.last > last) last = s.last;
        }
        templates.push({
          id: 0,
          tokens: templateTokens(g),
          shapes,
          level: shapes[0].level,
          count,
          first,
          last,
          words,
        });
      }
    }
    const merged = mergeByConstantWords(templates);
    merged.sort((a, b) => a.shapes[0].id - b.shapes[0].id);
    const byShape = new Map<number, number>();
    merged.forEach((t, i) => {
      t.id = i + 1;
      for (const s of t.shapes) byShape.set(s.id, t.id);
    });
    this.grouped = { templates: merged, byShape };
    return this.grouped;
  }

  private clearCache(): void {
    this.cacheRoots.clear();
    this.cacheNodes = 0;
  }

  private findShape(tokens: string[], level: LogLevelName, example: string): Shape {
    const key = `${level}\u0001${tokens.join('\u0001')}`;
    const known = this.shapes.get(key);
    if (known !== undefined) return known;
    if (this.shapes.size >= this.maxShapes) this.dropRareShapes();
    const shape: Shape = {
      id: this.nextShapeId++,
      tokens: tokens.slice(),
      level,
      count: 0,
      first: Number.POSITIVE_INFINITY,
      last: Number.NEGATIVE_INFINITY,
      pods: new Map(),
      example: example.length > this.exampleLength ? example.slice(0, this.exampleLength) + '…' : example,
      dropped: false,
    };
    this.shapes.set(key, shape);
    return shape;
  }

  /** The cap: drop the rarer half of the shapes (fewest lines; the newest among equals). */
  private dropRareShapes(): void {
    const all = [...this.shapes.entries()].sort((a, b) => a[1].count - b[1].count || b[1].id - a[1].id);
    const drop = all.slice(0, Math.ceil(all.length / 2));
    for (const [key, s] of drop) {
      s.dropped = true;
      this.shapes.delete(key);
      this.droppedCount.templates++;
      this.droppedCount.lines += s.count;
    }
    this.clearCache();
  }

  /**
   * Masked tokens of a message, into the scratch arrays. JSON lines repeat a handful of constant
   * messages ("job completed"), so masked forms are memoised (bounded) by message text.
   */
  private maskMessage(msg: string): string[] {
    const out = this.scratch;
    const known = this.messageCache.get(msg);
    if (known !== undefined) {
      out.length = known.length;
      for (let i = 0; i < known.length; i++) out[i] = known[i];
      return out;
    }
    tokenizeAndMask(msg, out, this.tokenMemo);
    if (msg.length <= 200) {
      if (this.messageCache.size >= MAX_MESSAGE_CACHE) this.messageCache.clear();
      this.messageCache.set(msg, out.slice());
    }
    return out;
  }
}
