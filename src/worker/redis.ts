/**
 * Redis connections (ioredis) with the options BullMQ recommends:
 * - worker connections block and must never give up on a command: `maxRetriesPerRequest: null`;
 * - producer connections (the HTTP API adding jobs, status lookups) fail fast while Redis is down:
 *   `enableOfflineQueue: false`, one retry, short connect timeout; the API answers 503 instead of hanging.
 * Every connection opened here is tracked so shutdown can close all of them.
 * Also: the eviction-policy safety check and Redis persistence facts for /v1/queue.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.js';
import { redactRedisUrl } from './logger.js';
import type { RedisPersistence } from './service-types.js';

export class RedisConnections {
  private readonly open = new Set<Redis>();

  constructor(
    private readonly url: string,
    private readonly logger?: Logger,
  ) {}

  /** For BullMQ Workers (and the Queue the worker side uses). */
  worker(name: string): Redis {
    return this.track(name, { maxRetriesPerRequest: null, enableReadyCheck: true });
  }

  /** For producers: fail fast when Redis is unreachable. */
  producer(name: string): Redis {
    return this.track(name, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 3000,
      commandTimeout: 5000,
    });
  }

  /** Number of connections not yet closed (tests assert this reaches 0). */
  get openCount(): number {
    return this.open.size;
  }

  private track(name: string, options: RedisOptions): Redis {
    const client = new Redis(this.url, {
      connectionName: `preview-worker:${name}`,
      // Keep reconnecting forever with a capped delay; BullMQ relies on it.
      retryStrategy: (times) => Math.min(200 * times, 2000),
      ...options,
    });
    let lastError = '';
    client.on('error', (err: Error) => {
      // ioredis repeats the same error on every reconnect attempt; log each distinct one once.
      if (err.message !== lastError) {
        lastError = err.message;
        this.logger?.warn({ connection: name, err: err.message }, 'redis connection error');
      }
    });
    client.on('ready', () => {
      if (lastError) this.logger?.info({ connection: name }, 'redis connection restored');
      lastError = '';
    });
    client.on('end', () => this.open.delete(client));
    this.open.add(client);
    return client;
  }

  /** Closes every tracked connection: QUIT when connected, disconnect otherwise. */
  async closeAll(): Promise<void> {
    const clients = [...this.open];
    await Promise.all(
      clients.map(async (c) => {
        try {
          if (c.status === 'ready') {
            await Promise.race([c.quit(), new Promise((r) => setTimeout(r, 1000))]);
          }
        } catch {
          // fall through to disconnect
        }
        c.disconnect(false);
        this.open.delete(c);
      }),
    );
  }

  describe(): string {
    return redactRedisUrl(this.url);
  }
}

/** Waits until the client is ready, or throws a clear error after timeoutMs. */
export async function waitForRedis(client: Redis, timeoutMs: number, where: string): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    let lastError = '';
    const onError = (err: Error) => {
      lastError = err.message;
    };
    const cleanup = () => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
    };
    const onReady = () => {
      cleanup();
      resolve();
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new RedisUnavailableError(
          `cannot reach Redis at ${where} within ${Math.round(timeoutMs / 1000)}s` +
            (lastError ? ` (${lastError})` : '') +
            '. Check REDIS_URL and that Redis is running.',
        ),
      );
    }, timeoutMs);
    client.on('ready', onReady);
    client.on('error', onError);
  });
}

export class RedisUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisUnavailableError';
  }
}

/** Startup refused because Redis may evict BullMQ keys (production only). */
export class RedisSafetyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisSafetyError';
  }
}

function parseInfo(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) map.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return map;
}

/**
 * Reads maxmemory-policy: `CONFIG GET` first; managed Redis often disables CONFIG, then
 * `INFO memory` (which carries `maxmemory_policy` since Redis 4). null when neither answers.
 */
export async function readMaxmemoryPolicy(client: Redis): Promise<string | null> {
  try {
    const reply = (await client.call('CONFIG', 'GET', 'maxmemory-policy')) as string[];
    if (Array.isArray(reply) && reply.length >= 2 && typeof reply[1] === 'string') return reply[1];
  } catch {
    // CONFIG disabled or renamed: fall back to INFO
  }
  try {
    const info = parseInfo(await client.info('memory'));
    return info.get('maxmemory_policy') ?? null;
  } catch {
    return null;
  }
}

export interface SafetyResult {
  maxmemoryPolicy: string | null;
  safe: boolean;
}

/**
 * BullMQ loses jobs silently when Redis evicts keys. Anything but `noeviction` is a loud warning;
 * with production=true it throws RedisSafetyError saying how to fix it.
 */
export async function checkRedisSafety(
  client: Redis,
  opts: { production: boolean; logger: Logger },
): Promise<SafetyResult> {
  const policy = await readMaxmemoryPolicy(client);
  if (policy === 'noeviction') return { maxmemoryPolicy: policy, safe: true };
  const fix =
    'Set it with `redis-cli CONFIG SET maxmemory-policy noeviction` (and `maxmemory-policy noeviction` in ' +
    'redis.conf so it survives a restart), or choose the noeviction policy in your managed Redis settings.';
  const what =
    policy === null
      ? 'could not read Redis maxmemory-policy (CONFIG GET and INFO memory both failed)'
      : `Redis maxmemory-policy is "${policy}", not "noeviction": Redis may evict queue keys and BullMQ jobs would be lost silently`;
  if (opts.production) {
    throw new RedisSafetyError(`refusing to start with NODE_ENV=production: ${what}. ${fix}`);
  }
  opts.logger.warn({ maxmemoryPolicy: policy, fix }, `REDIS SAFETY WARNING: ${what}`);
  return { maxmemoryPolicy: policy, safe: false };
}

/** Persistence facts from INFO persistence (AOF, last RDB save) plus the eviction policy. */
export async function readPersistence(client: Redis): Promise<RedisPersistence> {
  const info = parseInfo(await client.info('persistence'));
  const lastSave = Number(info.get('rdb_last_save_time') ?? '');
  const status = info.get('rdb_last_bgsave_status') ?? null;
  // The last successful save: rdb_last_save_time, when set and the last bgsave succeeded. Redis also
  // sets rdb_last_save_time to its start time when it never saved, so where Redis reports rdb_saves
  // (7.0+), a process that has not saved since it started has no "last save" to show.
  const saves = info.has('rdb_saves') ? Number(info.get('rdb_saves')) : null;
  const savedSinceStart = saves === null || saves > 0;
  const lastRdbSaveAt =
    Number.isFinite(lastSave) && lastSave > 0 && status === 'ok' && savedSinceStart
      ? new Date(lastSave * 1000).toISOString()
      : null;
  return {
    aofEnabled: info.get('aof_enabled') === '1',
    lastRdbSaveAt,
    lastRdbSaveStatus: status,
    maxmemoryPolicy: await readMaxmemoryPolicy(client),
  };
}
