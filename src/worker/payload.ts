/**
 * The preview job payload (v1): one validator used by the HTTP API and the worker.
 * See DESIGN.md section 3. Every rule here is a contract: ids name directories, so they are
 * restricted to a safe character set and may never be `.` or `..`. The types are in
 * src/contract/payload.ts; the field checks in payload-checker.ts, the media rules in payload-media.ts.
 */
import type {
  PayloadIssue,
  PreviewAsset,
  PreviewOptions,
  PreviewPayload,
  PreviewPriority,
  PreviewRequest,
  PreviewStep,
} from '../contract/payload.js';
import { Checker, describe, join } from './payload-checker.js';
import { dataUriByteLength, MAX_ASSET_BYTES, parseResolution } from './payload-media.js';

export type PayloadParseResult = { ok: true; value: PreviewPayload } | { ok: false; issues: PayloadIssue[] };

// ---- the validator -----------------------------------------------------------------------------
//
// Hand-written, in one pass, because the worker validates every job again (anything can write to
// Redis) and a general schema library cost more per job than BullMQ itself: `npm run bench:worker`
// measured dry-run throughput at 57% of a bare BullMQ worker with the zod schema this replaces.
// It is the one definition of the payload, used by the HTTP API and the worker alike; every rule
// is listed in DESIGN.md section 3 and tested in test/unit/payload.test.ts.

const STEP_KEYS = new Set(['title', 'text', 'durationSec', 'assetId']);
const ASSET_KEYS = new Set(['id', 'type', 'source']);
const OPTIONS_KEYS = new Set(['resolution', 'format']);
const REQUEST_KEYS = new Set([
  'title',
  'description',
  'chapterId',
  'metadata',
  'audio',
  'steps',
  'assets',
  'options',
]);
const PAYLOAD_KEYS = new Set(['jobId', 'projectId', 'requestId', 'dryRun', 'priority', 'previewRequest']);
const PRIORITIES = new Set<string>(['low', 'normal', 'high']);
const FORMATS = new Set<string>(['png', 'mp4']);
const DEFAULT_RESOLUTION = '1280x720';

// Each check below returns its input object itself when the input is valid and needs no default
// filled in (what the API stores, and so what the worker reads back), and a new object otherwise:
// a valid payload from the queue is checked without being copied.

function checkStep(c: Checker, value: unknown, path: string): PreviewStep | undefined {
  const s = c.object(value, path, 'a step', STEP_KEYS);
  if (!s) return undefined;
  c.string(s.title, path, 'title', 'step title', 1, 200);
  if (s.text !== undefined) c.string(s.text, path, 'text', 'step text', 0, 2000);
  if (s.durationSec !== undefined) c.number(s.durationSec, path, 'durationSec', 'durationSec', 0.5, 60);
  if (s.assetId !== undefined) c.safeId(s.assetId, path, 'assetId', 'assetId');
  if (s.text !== undefined && s.durationSec !== undefined) return s as unknown as PreviewStep;
  const step: PreviewStep = {
    title: s.title as string,
    text: (s.text as string | undefined) ?? '',
    durationSec: (s.durationSec as number | undefined) ?? 4,
  };
  if (s.assetId !== undefined) step.assetId = s.assetId as string;
  return step;
}

function checkAsset(c: Checker, value: unknown, path: string): PreviewAsset | undefined {
  const a = c.object(value, path, 'an asset', ASSET_KEYS);
  if (!a) return undefined;
  c.safeId(a.id, path, 'id', 'asset id');
  if (a.type !== 'image') c.add(join(path, 'type'), 'asset type must be "image"');
  if (typeof a.source !== 'string') {
    c.add(join(path, 'source'), `asset source must be a string, got ${describe(a.source)}`);
  } else {
    const bytes = dataUriByteLength(a.source);
    if (bytes === null) {
      c.add(
        join(path, 'source'),
        'asset source must be a data: URI of image/png, image/jpeg or image/svg+xml (no network URLs)',
      );
    } else if (bytes > MAX_ASSET_BYTES) {
      c.add(join(path, 'source'), `asset is ${bytes} bytes decoded; the limit is ${MAX_ASSET_BYTES} (2 MiB)`);
    }
  }
  return a as unknown as PreviewAsset;
}

function checkOptions(c: Checker, value: unknown, path: string): PreviewOptions {
  if (value === undefined) return { resolution: DEFAULT_RESOLUTION, format: 'png' };
  const o = c.object(value, path, 'options', OPTIONS_KEYS);
  if (!o) return { resolution: DEFAULT_RESOLUTION, format: 'png' };
  if (
    o.resolution !== undefined &&
    (typeof o.resolution !== 'string' || parseResolution(o.resolution) === null)
  ) {
    c.add(
      join(path, 'resolution'),
      'resolution must be "WxH" between 160x90 and 1920x1080, for example "1280x720"',
    );
  }
  if (o.format !== undefined && (typeof o.format !== 'string' || !FORMATS.has(o.format))) {
    c.add(join(path, 'format'), 'format must be "png" or "mp4"');
  }
  if (o.resolution !== undefined && o.format !== undefined) return o as unknown as PreviewOptions;
  return {
    resolution: (o.resolution as string | undefined) ?? DEFAULT_RESOLUTION,
    format: (o.format as PreviewOptions['format'] | undefined) ?? 'png',
  };
}

/** Checks each item; the input array itself when every item came back unchanged. */
function checkItems<T>(
  c: Checker,
  items: unknown[],
  path: string,
  check: (c: Checker, value: unknown, path: string) => T | undefined,
): T[] {
  let out: T[] | undefined;
  for (let i = 0; i < items.length; i++) {
    const item = check(c, items[i], c.sub(path, i));
    if (item === undefined) continue;
    if (out === undefined && item !== items[i]) out = items.slice(0, i) as T[];
    out?.push(item);
  }
  return out ?? (items as T[]);
}

function checkRequest(c: Checker, value: unknown, path: string): PreviewRequest | undefined {
  const r = c.object(value, path, 'previewRequest', REQUEST_KEYS);
  if (!r) return undefined;
  c.string(r.title, path, 'title', 'title', 1, 200);
  if (r.description !== undefined) c.string(r.description, path, 'description', 'description', 0, 5000);
  if (r.chapterId !== undefined) c.string(r.chapterId, path, 'chapterId', 'chapterId', 0, 128);
  const m = r.metadata;
  if (m !== undefined && (typeof m !== 'object' || m === null || Array.isArray(m))) {
    c.add(join(path, 'metadata'), `metadata must be a JSON object, got ${describe(m)}`);
  }

  let steps: PreviewStep[] = [];
  if (!Array.isArray(r.steps)) {
    c.add(join(path, 'steps'), `steps must be an array, got ${describe(r.steps)}`);
  } else if (r.steps.length < 1) {
    c.add(join(path, 'steps'), 'steps must hold at least 1 step');
  } else if (r.steps.length > 100) {
    c.add(join(path, 'steps'), 'steps may hold at most 100 steps');
  } else {
    steps = checkItems(c, r.steps, c.sub(path, 'steps'), checkStep);
  }

  let assets: PreviewAsset[] = [];
  const assetIds = new Set<string>();
  if (r.assets !== undefined) {
    if (!Array.isArray(r.assets)) {
      c.add(join(path, 'assets'), `assets must be an array, got ${describe(r.assets)}`);
    } else if (r.assets.length > 50) {
      c.add(join(path, 'assets'), 'assets may hold at most 50 assets');
    } else {
      assets = checkItems(c, r.assets, c.sub(path, 'assets'), checkAsset);
      assets.forEach((asset, i) => {
        if (assetIds.has(asset.id)) c.add(`${path}.assets.${i}.id`, `duplicate asset id "${asset.id}"`);
        assetIds.add(asset.id);
      });
    }
  }
  steps.forEach((s, i) => {
    if (s.assetId !== undefined && !assetIds.has(s.assetId)) {
      c.add(`${path}.steps.${i}.assetId`, `assetId "${s.assetId}" names no asset in previewRequest.assets`);
    }
  });
  const options = checkOptions(c, r.options, c.sub(path, 'options'));
  if (steps === r.steps && assets === r.assets && options === r.options)
    return r as unknown as PreviewRequest;
  const req: PreviewRequest = { title: r.title as string, steps, assets, options };
  if (r.description !== undefined) req.description = r.description as string;
  if (r.chapterId !== undefined) req.chapterId = r.chapterId as string;
  if (m !== undefined) req.metadata = m as Record<string, unknown>;
  if (r.audio !== undefined) req.audio = r.audio;
  return req;
}

const QUIET = new Checker(false);

/**
 * Validates an untrusted payload. Never throws; lists every problem with the path it concerns.
 * The value may be `input` itself (when nothing needed a default): do not mutate either.
 */
export function parsePreviewPayload(input: unknown): PayloadParseResult {
  // The first pass's checker is reused (it holds no issues, only the failed flag): one job, one
  // check, no allocation for it. parsePreviewPayload is synchronous, so nothing else uses it meanwhile.
  QUIET.failed = false;
  const first = check(input, QUIET);
  if (first) return first;
  const c = new Checker(true);
  check(input, c);
  return { ok: false, issues: c.issues };
}

/** One pass over the payload: the result when it is valid, else undefined (issues are in `c`). */
function check(input: unknown, c: Checker): PayloadParseResult | undefined {
  const p = c.object(input, '', 'the payload', PAYLOAD_KEYS);
  if (!p) return undefined;
  c.safeId(p.jobId, '', 'jobId', 'jobId');
  c.safeId(p.projectId, '', 'projectId', 'projectId');
  if (p.requestId !== undefined) c.safeId(p.requestId, '', 'requestId', 'requestId');
  if (p.dryRun !== undefined && typeof p.dryRun !== 'boolean') {
    c.add('dryRun', `dryRun must be true or false, got ${describe(p.dryRun)}`);
  }
  if (p.priority !== undefined && (typeof p.priority !== 'string' || !PRIORITIES.has(p.priority))) {
    c.add('priority', 'priority must be "low", "normal" or "high"');
  }
  const previewRequest = checkRequest(c, p.previewRequest, 'previewRequest');
  if (c.failed || !previewRequest) return undefined;
  if (p.dryRun !== undefined && p.priority !== undefined && previewRequest === p.previewRequest) {
    return { ok: true, value: p as unknown as PreviewPayload };
  }
  const value: PreviewPayload = {
    jobId: p.jobId as string,
    projectId: p.projectId as string,
    dryRun: (p.dryRun as boolean | undefined) ?? false,
    priority: (p.priority as PreviewPriority | undefined) ?? 'normal',
    previewRequest,
  };
  if (p.requestId !== undefined) value.requestId = p.requestId as string;
  return { ok: true, value };
}

/** BullMQ priorities: lower number = served first. Three distinct values. */
export const BULLMQ_PRIORITY: Record<PreviewPayload['priority'], number> = { high: 1, normal: 5, low: 10 };
