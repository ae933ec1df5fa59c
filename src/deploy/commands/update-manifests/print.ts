/** The view of `update-manifests`: the tag change and the files re-rendered or removed. */
import type { UpdateManifestsResult } from './run.js';

export function renderUpdateManifests(r: UpdateManifestsResult): string {
  if (!r.changed) {
    return `${r.file} already has image.tag ${r.imageTag}: nothing changed.\n`;
  }
  const lines = [`${r.file}: image.tag ${r.previousTag} → ${r.imageTag} (${r.image})`];
  if (r.rendered.length) {
    lines.push(`re-rendered ${r.rendered.length} file(s):`);
    for (const f of r.rendered) lines.push(`  ${f}`);
  }
  for (const f of r.removed) lines.push(`removed ${f}`);
  lines.push('', `Review and commit: git diff -- ${r.file} k8s/${r.environment}/`);
  return `${lines.join('\n')}\n`;
}
