// A Drain-style log template miner (He et al., "Drain: An Online Log Parsing Approach with Fixed
// Depth Tree", ICWS 2017; the same algorithm as the drain3 library).
//
// 1. Pre-masking (log-mask.ts): numbers, hex ids, uuids, IPv4/IPv6, durations, ISO timestamps,
//    quoted strings and key=value values become typed placeholders (<NUM>, <UUID>, <ID>, ...).
// 2. A fixed-depth parse tree: level -> token count -> the first `depth` tokens -> a leaf holding a
//    list of clusters. Tokens that still hold a digit, and new tokens once a node has `maxChildren`
//    children, route through a `<*>` child.
// 3. In the leaf, the cluster whose template is most similar (share of positions with an equal
//    constant token; <*> positions do not count) wins when the similarity reaches `similarity`;
//    its template then gets <*> wherever it differs from the line. Otherwise a new cluster starts.
//
// Lines of different levels never share a template (a warn and an error with the same text are
// two findings). A cache (a trie over masked tokens) maps each already-seen masked token sequence
// straight to its cluster, so a repeated shape (the common case once variable parts are masked)
// costs one Map lookup per token and no allocation.

import { tokenizeAndMask, WILDCARD } from './log-mask.js';
import { ERROR_LEVEL, LOG_LEVELS, type LogLevelName, type LogRecord } from './log-record.js';
import { fieldTokens } from './log-tokens.js';

export interface MinerOptions {
  /** Number of leading tokens used to route in the tree (drain3's depth minus 2). Default 2. */
  depth?: number;
  /** Minimum similarity (0..1) to join an existing cluster. Default 0.4. */
  similarity?: number;
  /** Maximum children per tree node before new tokens route through <*>. Default 100. */
  maxChildren?: number;
  /** Characters of the first line kept as an example per template. Default 300. */
  exampleLength?: number;
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

interface Cluster {
  id: number;
  tokens: string[];
  level: LogLevelName;
  count: number;
  first: number;
  last: number;
  pods: Map<string, number>;
  example: string;
}

interface TreeNode {
  children: Map<string, TreeNode>;
  clusters: Cluster[];
}

function newNode(): TreeNode {
  return { children: new Map(), clusters: [] };
}

function hasDigit(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}

const KEY_WILDCARD_SUFFIX = `=${WILDCARD}`;

function isKeyWildcard(t: string): boolean {
  return t.endsWith(KEY_WILDCARD_SUFFIX);
}

/** The position of '=' when both tokens are key=value with the same key, else 0. */
function sameKey(a: string, b: string): number {
  const eq = a.indexOf('=');
  if (eq <= 0 || b.length <= eq || b.charCodeAt(eq) !== 61) return 0;
  for (let i = 0; i < eq; i++) if (a.charCodeAt(i) !== b.charCodeAt(i)) return 0;
  return eq;
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

/** Nodes of the sequence → cluster cache (a trie over masked tokens) before it starts afresh. */
const MAX_CACHE_NODES = 200_000;

/** Tokens of a line beyond this are not mined (a huge line would otherwise cost as much as hundreds). */
const MAX_TOKENS = 120;

interface CacheNode {
  next: Map<string, CacheNode> | undefined;
  cluster: Cluster | undefined;
}
const MAX_MESSAGE_CACHE = 20_000;

export class LogTemplateMiner {
  private readonly depth: number;
  private readonly similarity: number;
  private readonly maxChildren: number;
  private readonly exampleLength: number;
  private readonly root = new Map<string, TreeNode>();
  private readonly cacheRoots = new Map<string, CacheNode>();
  private cacheNodes = 0;
  private readonly clusters: Cluster[] = [];
  private readonly scratch: string[] = [];
  private readonly messageCache = new Map<string, string[]>();
  private lineCount = 0;

  constructor(options: MinerOptions = {}) {
    this.depth = options.depth ?? 2;
    this.similarity = options.similarity ?? 0.4;
    this.maxChildren = options.maxChildren ?? 100;
    this.exampleLength = options.exampleLength ?? 300;
  }

  /** Lines added so far (empty lines are not counted). */
  get lines(): number {
    return this.lineCount;
  }

  /** Templates found so far. */
  get size(): number {
    return this.clusters.length;
  }

  /** Add a parsed log record: a JSON line is mined as its msg plus its keys (masked values). */
  addRecord(record: LogRecord, pod = ''): number {
    const tokens = this.maskMessage(record.msg);
    if (record.json) fieldTokens(record.source ?? record.fields, tokens);
    return this.addTokens(tokens, record.levelName, record.time, pod, record.raw);
  }

  /** Add a plain message. Returns the template id, or 0 for an empty message. */
  addMessage(message: string, level: LogLevelName = 'unknown', time?: number, pod = ''): number {
    return this.addTokens(tokenizeAndMask(message, this.scratch), level, time, pod, message);
  }

  /** Add an already masked token sequence (the array is not kept; it is cut to 120 tokens). */
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
    // Cache walk: one Map lookup per token. Masked tokens of JSON lines are mostly the same string
    // objects every time (memoised), so this allocates nothing on a hit.
    if (this.cacheNodes >= MAX_CACHE_NODES) {
      this.cacheRoots.clear();
      this.cacheNodes = 0;
    }
    let node: CacheNode | undefined = this.cacheRoots.get(level);
    if (node === undefined) {
      node = { next: undefined, cluster: undefined };
      this.cacheRoots.set(level, node);
    }
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i];
      let next: CacheNode | undefined = node.next?.get(token);
      if (next === undefined) {
        next = { next: undefined, cluster: undefined };
        if (node.next === undefined) node.next = new Map();
        node.next.set(token, next);
        this.cacheNodes++;
      }
      node = next;
    }
    let cluster = node.cluster;
    if (cluster === undefined) {
      cluster = this.match(tokens, level, example);
      node.cluster = cluster;
    }
    cluster.count++;
    if (time !== undefined) {
      if (time < cluster.first) cluster.first = time;
      if (time > cluster.last) cluster.last = time;
    }
    cluster.pods.set(pod, (cluster.pods.get(pod) ?? 0) + 1);
    return cluster.id;
  }

  /**
   * The final template id of each id `addMessage`/`addRecord` returned (the same id unless its
   * template was later merged into another). `ids` is rewritten in place and returned.
   */
  resolve(ids: number[]): number[] {
    return ids;
  }

  /** Templates ranked: error-level (error, fatal) first, then by count, then by level and first seen. */
  templates(): TemplateSummary[] {
    const sorted = [...this.clusters].sort((a, b) => {
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
    return sorted.map((c) => {
      const pods: Record<string, number> = {};
      for (const name of [...c.pods.keys()].sort()) pods[name] = c.pods.get(name)!;
      return {
        id: c.id,
        template: c.tokens.join(' '),
        level: c.level,
        count: c.count,
        firstSeen: Number.isFinite(c.first) ? new Date(c.first).toISOString() : undefined,
        lastSeen: Number.isFinite(c.last) ? new Date(c.last).toISOString() : undefined,
        pods,
        example: c.example,
      };
    });
  }

  /**
   * Masked tokens of a message, into the scratch array. JSON lines repeat a handful of constant
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
    tokenizeAndMask(msg, out);
    if (msg.length <= 200) {
      if (this.messageCache.size >= MAX_MESSAGE_CACHE) this.messageCache.clear();
      this.messageCache.set(msg, out.slice());
    }
    return out;
  }

  private match(tokens: string[], level: LogLevelName, example: string): Cluster {
    const rootKey = level + '\u0001' + tokens.length;
    let node = this.root.get(rootKey);
    if (node === undefined) {
      node = newNode();
      this.root.set(rootKey, node);
    }
    // Search: follow the token, else the wildcard child.
    const leaf = this.searchLeaf(node, tokens);
    if (leaf !== undefined) {
      const best = this.bestCluster(leaf.clusters, tokens);
      if (best !== undefined) {
        this.mergeInto(best, tokens);
        return best;
      }
    }
    const cluster: Cluster = {
      id: this.clusters.length + 1,
      tokens: tokens.slice(),
      level,
      count: 0,
      first: Number.POSITIVE_INFINITY,
      last: Number.NEGATIVE_INFINITY,
      pods: new Map(),
      example: example.length > this.exampleLength ? example.slice(0, this.exampleLength) + '…' : example,
    };
    this.clusters.push(cluster);
    this.insertLeaf(node, tokens).clusters.push(cluster);
    return cluster;
  }

  private searchLeaf(start: TreeNode, tokens: string[]): TreeNode | undefined {
    let node = start;
    const depth = Math.min(this.depth, tokens.length);
    for (let i = 0; i < depth; i++) {
      const next = node.children.get(tokens[i]) ?? node.children.get(WILDCARD);
      if (next === undefined) return undefined;
      node = next;
    }
    return node;
  }

  private insertLeaf(start: TreeNode, tokens: string[]): TreeNode {
    let node = start;
    const depth = Math.min(this.depth, tokens.length);
    for (let i = 0; i < depth; i++) {
      const token = tokens[i];
      let next = node.children.get(token);
      if (next === undefined) {
        let routeKey = token;
        if (hasDigit(token)) routeKey = WILDCARD;
        else if (node.children.size + 1 >= this.maxChildren && !node.children.has(token)) routeKey = WILDCARD;
        next = node.children.get(routeKey);
        if (next === undefined) {
          next = newNode();
          node.children.set(routeKey, next);
        }
      }
      node = next;
    }
    return node;
  }

  private bestCluster(clusters: Cluster[], tokens: string[]): Cluster | undefined {
    let best: Cluster | undefined;
    let bestSim = -1;
    let bestParams = -1;
    const n = tokens.length;
    for (let c = 0; c < clusters.length; c++) {
      const tpl = clusters[c].tokens;
      let same = 0;
      let params = 0;
      for (let i = 0; i < n; i++) {
        const t = tpl[i];
        if (t === WILDCARD) params++;
        else if (t === tokens[i]) same++;
        else if (isKeyWildcard(t) && sameKey(t, tokens[i])) params++;
      }
      const sim = same / n;
      if (sim > bestSim || (sim === bestSim && params > bestParams)) {
        best = clusters[c];
        bestSim = sim;
        bestParams = params;
      }
    }
    return bestSim >= this.similarity ? best : undefined;
  }

  private mergeInto(cluster: Cluster, tokens: string[]): void {
    const tpl = cluster.tokens;
    for (let i = 0; i < tpl.length; i++) {
      const t = tpl[i];
      if (t === tokens[i] || t === WILDCARD) continue;
      // key=a vs key=b keeps the key: `key=<*>` reads better than a bare <*>.
      const eq = sameKey(t, tokens[i]);
      tpl[i] = eq > 0 ? `${t.slice(0, eq)}=${WILDCARD}` : WILDCARD;
    }
  }
}
