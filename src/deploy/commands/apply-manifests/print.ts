/** The view of `apply-manifests`: one line per object (created / configured / unchanged) and a summary. */
import type { Colors } from '../../output/color.js';
import type { ApplyManifestsResult } from './run.js';

export function renderApplyManifests(r: ApplyManifestsResult, c: Colors): string {
  const verb = (a: string) => {
    const word = r.dryRun ? `${a} (server dry run)` : a;
    if (a === 'created') return c.green(word);
    if (a === 'configured') return c.yellow(word);
    return c.dim(word);
  };
  const width = Math.max(0, ...r.objects.map((o) => o.ref.length));
  const lines = r.objects.map(
    (o) => `${o.ref.padEnd(width)}  ${verb(o.action)}${o.note ? c.dim(` (${o.note})`) : ''}`,
  );
  const { created, configured, unchanged, skipped } = r.counts;
  lines.push(
    '',
    `${r.dryRun ? 'Dry run: nothing was changed. ' : ''}${created} created, ${configured} configured, ${unchanged} unchanged, ${skipped} skipped in namespace ${r.namespace} (image ${r.image}).`,
  );
  if (!r.dryRun) {
    lines.push(
      `Not waited for: follow the rollout with \`mobius-deploy status -n ${r.namespace}\` and check it with \`mobius-deploy verify -n ${r.namespace}\`.`,
    );
  }
  return `${lines.join('\n')}\n`;
}
