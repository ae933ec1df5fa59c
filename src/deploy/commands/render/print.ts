/** The views of `render`: the YAML stream, and the list of files `--out-dir` wrote. */
import { toYamlStream } from '../../manifests/canonical.js';
import type { RenderResult } from '../../manifests/render.js';
import { plural } from '../../output/plural.js';
import { renderedHeader } from './header.js';
import type { WriteResult } from './run.js';

/** The objects as one multi-document YAML stream (what `render` prints). */
export function renderYaml(result: RenderResult): string {
  return toYamlStream(result.objects, renderedHeader(result));
}

/** What `render --out-dir` prints: the files written and those of an earlier render removed. */
export function renderWritten(written: WriteResult): string {
  const lines = written.files.map((f) => `  ${f}`).join('\n');
  const removed = written.removed.length ? `\nremoved: ${written.removed.join(', ')}` : '';
  return `wrote ${plural(written.files.length, 'file')} to ${written.dir}:\n${lines}${removed}\n`;
}
