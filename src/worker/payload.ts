/**
 * The preview job payload (v1): one zod schema used by the HTTP API, the worker and the docs.
 * See DESIGN.md section 3. Every rule here is a contract: ids name directories, so they are
 * restricted to a safe character set and may never be `.` or `..`.
 */
import { z } from 'zod';

export const SAFE_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

const safeId = (field: string) =>
  z
    .string({ error: `${field} must be a string` })
    .min(1, { error: `${field} must not be empty` })
    .max(128, { error: `${field} must be at most 128 characters` })
    .regex(SAFE_ID_PATTERN, {
      error: `${field} may contain only letters, digits, '.', '_' and '-'`,
    })
    .refine((v) => v !== '.' && v !== '..', { error: `${field} must not be '.' or '..'` });

export const MAX_ASSET_BYTES = 2 * 1024 * 1024;
const DATA_URI = /^data:(image\/png|image\/jpeg|image\/svg\+xml)(;charset=[A-Za-z0-9_-]+)?(;base64)?,(.*)$/s;

/** Decodes a `data:` URI into its media type and bytes, or returns null when it is not one we accept. */
export function decodeDataUri(source: string): { mediaType: string; bytes: Buffer } | null {
  const m = DATA_URI.exec(source);
  if (!m) return null;
  const mediaType = m[1]!;
  const isBase64 = Boolean(m[3]);
  const body = m[4] ?? '';
  try {
    const bytes = isBase64 ? Buffer.from(body, 'base64') : Buffer.from(decodeURIComponent(body), 'utf8');
    return { mediaType, bytes };
  } catch {
    return null;
  }
}

export const RESOLUTION_MIN = { width: 160, height: 90 } as const;
export const RESOLUTION_MAX = { width: 1920, height: 1080 } as const;

/** Parses "WxH" into numbers, or null when malformed or out of the allowed range. */
export function parseResolution(value: string): { width: number; height: number } | null {
  const m = /^(\d{2,4})x(\d{2,4})$/.exec(value);
  if (!m) return null;
  const width = Number(m[1]);
  const height = Number(m[2]);
  if (width < RESOLUTION_MIN.width || width > RESOLUTION_MAX.width) return null;
  if (height < RESOLUTION_MIN.height || height > RESOLUTION_MAX.height) return null;
  return { width, height };
}

const stepSchema = z
  .object({
    title: z.string().min(1, { error: 'step title must not be empty' }).max(200),
    text: z.string().max(2000).default(''),
    durationSec: z.number().min(0.5).max(60).default(4),
    assetId: safeId('assetId').optional(),
  })
  .strict();

const assetSchema = z
  .object({
    id: safeId('asset id'),
    type: z.literal('image', { error: 'asset type must be "image"' }),
    source: z.string().superRefine((source, ctx) => {
      const decoded = decodeDataUri(source);
      if (!decoded) {
        ctx.addIssue({
          code: 'custom',
          message:
            'asset source must be a data: URI of image/png, image/jpeg or image/svg+xml (no network URLs)',
        });
        return;
      }
      if (decoded.bytes.length > MAX_ASSET_BYTES) {
        ctx.addIssue({
          code: 'custom',
          message: `asset is ${decoded.bytes.length} bytes decoded; the limit is ${MAX_ASSET_BYTES} (2 MiB)`,
        });
      }
    }),
  })
  .strict();

const optionsSchema = z
  .object({
    resolution: z
      .string()
      .default('1280x720')
      .refine((v) => parseResolution(v) !== null, {
        error: 'resolution must be "WxH" between 160x90 and 1920x1080, for example "1280x720"',
      }),
    format: z.enum(['png', 'mp4'], { error: 'format must be "png" or "mp4"' }).default('png'),
  })
  .strict();

const previewRequestSchema = z
  .object({
    title: z.string().min(1, { error: 'title must not be empty' }).max(200),
    description: z.string().max(5000).optional(),
    chapterId: z.string().max(128).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    audio: z.unknown().optional(),
    steps: z
      .array(stepSchema)
      .min(1, { error: 'steps must hold at least 1 step' })
      .max(100, { error: 'steps may hold at most 100 steps' }),
    assets: z.array(assetSchema).max(50, { error: 'assets may hold at most 50 assets' }).default([]),
    options: optionsSchema.default({ resolution: '1280x720', format: 'png' }),
  })
  .strict()
  .superRefine((req, ctx) => {
    const ids = new Set<string>();
    req.assets.forEach((a, i) => {
      if (ids.has(a.id)) {
        ctx.addIssue({ code: 'custom', path: ['assets', i, 'id'], message: `duplicate asset id "${a.id}"` });
      }
      ids.add(a.id);
    });
    req.steps.forEach((s, i) => {
      if (s.assetId !== undefined && !ids.has(s.assetId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i, 'assetId'],
          message: `assetId "${s.assetId}" names no asset in previewRequest.assets`,
        });
      }
    });
  });

export const previewPayloadSchema = z
  .object({
    jobId: safeId('jobId'),
    projectId: safeId('projectId'),
    requestId: safeId('requestId').optional(),
    dryRun: z.boolean().default(false),
    priority: z
      .enum(['low', 'normal', 'high'], { error: 'priority must be "low", "normal" or "high"' })
      .default('normal'),
    previewRequest: previewRequestSchema,
  })
  .strict();

/** A validated payload, defaults applied. */
export type PreviewPayload = z.output<typeof previewPayloadSchema>;
/** What a client may send (defaults optional). */
export type PreviewPayloadInput = z.input<typeof previewPayloadSchema>;

export interface PayloadIssue {
  /** Dotted path of the offending field, for example `previewRequest.steps.0.title`. */
  path: string;
  message: string;
}

export type PayloadParseResult = { ok: true; value: PreviewPayload } | { ok: false; issues: PayloadIssue[] };

/** Validates an untrusted payload. Never throws; lists every problem with the path it concerns. */
export function parsePreviewPayload(input: unknown): PayloadParseResult {
  const result = previewPayloadSchema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((issue) => {
      const path = issue.path.map(String).join('.') || '(payload)';
      let message = issue.message;
      if (issue.code === 'unrecognized_keys') {
        message = `unknown field(s): ${issue.keys.join(', ')}`;
      }
      return { path, message: `${path}: ${message}` };
    }),
  };
}

/** BullMQ priorities: lower number = served first. Three distinct values. */
export const BULLMQ_PRIORITY: Record<PreviewPayload['priority'], number> = { high: 1, normal: 5, low: 10 };
