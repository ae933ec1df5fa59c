import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PayloadIssue } from '../../src/contract/payload.js';
import { BULLMQ_PRIORITY, parsePreviewPayload } from '../../src/worker/payload.js';
import { MAX_ASSET_BYTES } from '../../src/worker/payload-media.js';

const PNG_1x1 =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

// biome-ignore lint/suspicious/noExplicitAny: tests patch payloads freely, including into invalid shapes
type Loose = any;

function valid(): Record<string, unknown> {
  return {
    jobId: 'job-1',
    projectId: 'project_A.1',
    previewRequest: {
      title: 'Onboarding tour',
      steps: [{ title: 'Welcome', text: 'Hello', assetId: 'logo' }],
      assets: [{ id: 'logo', type: 'image', source: PNG_1x1 }],
    },
  };
}

function withPatch(patch: (p: Record<string, Loose>) => void): Record<string, unknown> {
  const p = valid() as Record<string, Loose>;
  patch(p);
  return p;
}

function issuesOf(input: unknown): PayloadIssue[] {
  const r = parsePreviewPayload(input);
  assert.equal(r.ok, false, 'expected the payload to be rejected');
  return r.ok ? [] : r.issues;
}

/** Asserts one issue concerns `path` and its message names that path. */
function assertRejects(input: unknown, path: string, message?: RegExp): void {
  const issues = issuesOf(input);
  const hit = issues.find((i) => i.path === path);
  assert.ok(hit, `no issue at ${path}; got ${JSON.stringify(issues)}`);
  assert.ok(hit.message.startsWith(`${path}:`), `message does not name the field: ${hit.message}`);
  if (message) assert.match(hit.message, message);
}

describe('parsePreviewPayload', () => {
  it('accepts a valid payload and applies the defaults', () => {
    const r = parsePreviewPayload(valid());
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.value.dryRun, false);
    assert.equal(r.value.priority, 'normal');
    assert.equal(r.value.previewRequest.options.resolution, '1280x720');
    assert.equal(r.value.previewRequest.options.format, 'png');
    assert.equal(r.value.previewRequest.steps[0]?.durationSec, 4);
  });

  it('never mutates its input; a payload with every default present comes back as it is', () => {
    const input = valid();
    const before = JSON.stringify(input);
    const r = parsePreviewPayload(input);
    assert.ok(r.ok);
    assert.equal(JSON.stringify(input), before, 'input unchanged');
    assert.notEqual(r.value, input, 'defaults were applied to a copy');
    // What the API stores (defaults applied) is what the worker reads back: no copy needed.
    const again = parsePreviewPayload(JSON.parse(JSON.stringify(r.value)));
    assert.ok(again.ok);
    assert.deepEqual(again.value, r.value);
    const stored = JSON.parse(JSON.stringify(r.value));
    const third = parsePreviewPayload(stored);
    assert.ok(third.ok);
    assert.equal(third.value, stored);
  });

  it('rejects a payload that is not an object', () => {
    assert.ok(issuesOf(null).length > 0);
    assert.ok(issuesOf('job').length > 0);
  });

  for (const field of ['jobId', 'projectId', 'requestId'] as const) {
    describe(field, () => {
      if (field !== 'requestId') {
        it('is required', () =>
          assertRejects(
            withPatch((p) => delete p[field]),
            field,
          ));
      }
      it('rejects ".." (path traversal)', () =>
        assertRejects(
          withPatch((p) => {
            p[field] = '..';
          }),
          field,
          /must not be '\.' or '\.\.'/,
        ));
      it('rejects "."', () =>
        assertRejects(
          withPatch((p) => {
            p[field] = '.';
          }),
          field,
        ));
      for (const bad of ['a/b', '../etc', 'a\\b', 'a b', 'é', 'a\u0000b', '$(id)', '']) {
        it(`rejects ${JSON.stringify(bad)}`, () =>
          assertRejects(
            withPatch((p) => {
              p[field] = bad;
            }),
            field,
          ));
      }
      it('rejects more than 128 characters and accepts exactly 128', () => {
        assertRejects(
          withPatch((p) => {
            p[field] = 'a'.repeat(129);
          }),
          field,
          /at most 128/,
        );
        assert.ok(
          parsePreviewPayload(
            withPatch((p) => {
              p[field] = 'a'.repeat(128);
            }),
          ).ok,
        );
      });
      it('rejects a number', () =>
        assertRejects(
          withPatch((p) => {
            p[field] = 12;
          }),
          field,
        ));
      it('accepts letters, digits, dot, underscore and dash', () => {
        assert.ok(
          parsePreviewPayload(
            withPatch((p) => {
              p[field] = 'Aa0._-x..y';
            }),
          ).ok,
        );
      });
    });
  }

  it('rejects unknown top-level fields, naming them', () => {
    const issues = issuesOf(
      withPatch((p) => {
        p.callbackUrl = 'http://x';
      }),
    );
    assert.ok(
      issues.some((i) => /unknown field\(s\): callbackUrl/.test(i.message)),
      JSON.stringify(issues),
    );
  });

  it('rejects unknown fields inside previewRequest, steps, assets and options', () => {
    for (const [patch, path] of [
      [(p: Loose) => (p.previewRequest.extra = 1), 'previewRequest'],
      [(p: Loose) => (p.previewRequest.steps[0].extra = 1), 'previewRequest.steps.0'],
      [(p: Loose) => (p.previewRequest.assets[0].extra = 1), 'previewRequest.assets.0'],
      [(p: Loose) => (p.previewRequest.options = { fps: 30 }), 'previewRequest.options'],
    ] as const) {
      assertRejects(withPatch(patch), path, /unknown field/);
    }
  });

  it('dryRun must be a boolean', () =>
    assertRejects(
      withPatch((p) => {
        p.dryRun = 'yes';
      }),
      'dryRun',
    ));

  it('priority is low, normal or high, mapped to three distinct BullMQ priorities', () => {
    assertRejects(
      withPatch((p) => {
        p.priority = 'urgent';
      }),
      'priority',
      /"low", "normal" or "high"/,
    );
    for (const priority of ['low', 'normal', 'high']) {
      assert.ok(
        parsePreviewPayload(
          withPatch((p) => {
            p.priority = priority;
          }),
        ).ok,
      );
    }
    const values = new Set(Object.values(BULLMQ_PRIORITY));
    assert.equal(values.size, 3);
    assert.ok(BULLMQ_PRIORITY.high < BULLMQ_PRIORITY.normal && BULLMQ_PRIORITY.normal < BULLMQ_PRIORITY.low);
  });

  it('title is required, 1-200 characters', () => {
    assertRejects(
      withPatch((p) => delete p.previewRequest.title),
      'previewRequest.title',
    );
    assertRejects(
      withPatch((p) => {
        p.previewRequest.title = '';
      }),
      'previewRequest.title',
    );
    assertRejects(
      withPatch((p) => {
        p.previewRequest.title = 'x'.repeat(201);
      }),
      'previewRequest.title',
    );
    assert.ok(
      parsePreviewPayload(
        withPatch((p) => {
          p.previewRequest.title = 'x'.repeat(200);
        }),
      ).ok,
    );
  });

  it('keeps description, chapterId, metadata and audio', () => {
    const r = parsePreviewPayload(
      withPatch((p) => {
        p.previewRequest.description = 'd';
        p.previewRequest.chapterId = 'ch-1';
        p.previewRequest.metadata = { a: 1 };
        p.previewRequest.audio = { voice: 'x' };
      }),
    );
    assert.ok(r.ok);
    assert.equal(r.value.previewRequest.chapterId, 'ch-1');
    assert.deepEqual(r.value.previewRequest.metadata, { a: 1 });
  });

  it('steps: 1 to 100', () => {
    assertRejects(
      withPatch((p) => {
        p.previewRequest.steps = [];
      }),
      'previewRequest.steps',
      /at least 1/,
    );
    assertRejects(
      withPatch((p) => {
        p.previewRequest.steps = Array.from({ length: 101 }, (_, i) => ({ title: `s${i}` }));
      }),
      'previewRequest.steps',
      /at most 100/,
    );
    assert.ok(
      parsePreviewPayload(
        withPatch((p) => {
          p.previewRequest.steps = Array.from({ length: 100 }, (_, i) => ({ title: `s${i}` }));
        }),
      ).ok,
    );
  });

  it('step title 1-200, text up to 2000, durationSec 0.5-60', () => {
    const cases: [(p: Loose) => void, string][] = [
      [(p) => (p.previewRequest.steps[0].title = ''), 'previewRequest.steps.0.title'],
      [(p) => (p.previewRequest.steps[0].title = 'x'.repeat(201)), 'previewRequest.steps.0.title'],
      [(p) => (p.previewRequest.steps[0].text = 'x'.repeat(2001)), 'previewRequest.steps.0.text'],
      [(p) => (p.previewRequest.steps[0].durationSec = 0.4), 'previewRequest.steps.0.durationSec'],
      [(p) => (p.previewRequest.steps[0].durationSec = 61), 'previewRequest.steps.0.durationSec'],
      [(p) => (p.previewRequest.steps[0].durationSec = '4'), 'previewRequest.steps.0.durationSec'],
    ];
    for (const [patch, path] of cases) assertRejects(withPatch(patch), path);
    assert.ok(
      parsePreviewPayload(
        withPatch((p) => {
          p.previewRequest.steps[0].text = 'x'.repeat(2000);
          p.previewRequest.steps[0].durationSec = 0.5;
        }),
      ).ok,
    );
  });

  it('a step assetId must name an asset and be a safe id', () => {
    assertRejects(
      withPatch((p) => {
        p.previewRequest.steps[0].assetId = 'missing';
      }),
      'previewRequest.steps.0.assetId',
      /names no asset/,
    );
    assertRejects(
      withPatch((p) => {
        p.previewRequest.steps[0].assetId = '../logo';
      }),
      'previewRequest.steps.0.assetId',
    );
  });

  it('assets: at most 50, type image, unique ids', () => {
    assertRejects(
      withPatch((p) => {
        p.previewRequest.assets = Array.from({ length: 51 }, (_, i) => ({
          id: `a${i}`,
          type: 'image',
          source: PNG_1x1,
        }));
      }),
      'previewRequest.assets',
      /at most 50/,
    );
    assertRejects(
      withPatch((p) => {
        p.previewRequest.assets[0].type = 'video';
      }),
      'previewRequest.assets.0.type',
      /"image"/,
    );
    assertRejects(
      withPatch((p) => {
        p.previewRequest.assets.push({ id: 'logo', type: 'image', source: PNG_1x1 });
      }),
      'previewRequest.assets.1.id',
      /duplicate/,
    );
  });

  it('asset source is a png, jpeg or svg data: URI up to 2 MiB, never a network URL', () => {
    for (const source of [
      'https://example.com/logo.png',
      'file:///etc/passwd',
      'data:image/gif;base64,R0lGOD==',
      'data:text/html,<b>x</b>',
    ]) {
      assertRejects(
        withPatch((p) => {
          p.previewRequest.assets[0].source = source;
        }),
        'previewRequest.assets.0.source',
        /data: URI/,
      );
    }
    const big = `data:image/png;base64,${Buffer.alloc(MAX_ASSET_BYTES + 1).toString('base64')}`;
    assertRejects(
      withPatch((p) => {
        p.previewRequest.assets[0].source = big;
      }),
      'previewRequest.assets.0.source',
      /2 MiB/,
    );
    for (const source of [
      'data:image/jpeg;base64,/9j/4AAQ',
      'data:image/svg+xml;charset=utf-8,%3Csvg%20xmlns%3D%22http%3A%2F%2Fwww.w3.org%2F2000%2Fsvg%22%2F%3E',
    ]) {
      assert.ok(
        parsePreviewPayload(
          withPatch((p) => {
            p.previewRequest.assets[0].source = source;
          }),
        ).ok,
        source,
      );
    }
  });

  it('resolution "WxH" within 160x90..1920x1080; format png or mp4', () => {
    for (const resolution of ['159x90', '160x89', '1921x1080', '1920x1081', '1280*720', 'big', '1280x']) {
      assertRejects(
        withPatch((p) => {
          p.previewRequest.options = { resolution };
        }),
        'previewRequest.options.resolution',
        /between 160x90 and 1920x1080/,
      );
    }
    for (const resolution of ['160x90', '1920x1080', '640x360']) {
      assert.ok(
        parsePreviewPayload(
          withPatch((p) => {
            p.previewRequest.options = { resolution };
          }),
        ).ok,
      );
    }
    assertRejects(
      withPatch((p) => {
        p.previewRequest.options = { format: 'gif' };
      }),
      'previewRequest.options.format',
      /"png" or "mp4"/,
    );
    assert.ok(
      parsePreviewPayload(
        withPatch((p) => {
          p.previewRequest.options = { format: 'mp4' };
        }),
      ).ok,
    );
  });

  it('lists every problem, not only the first', () => {
    const issues = issuesOf({
      jobId: '..',
      projectId: 'a/b',
      previewRequest: { title: '', steps: [] },
      x: 1,
    });
    const paths = new Set(issues.map((i) => i.path));
    for (const p of ['jobId', 'projectId', 'previewRequest.title', 'previewRequest.steps']) {
      assert.ok(paths.has(p), `missing ${p} in ${JSON.stringify(issues)}`);
    }
  });
});
