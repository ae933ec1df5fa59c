/** The view of `build-push`: the image, platforms and revision; the commands of a dry run; the pushed digest. */
import type { BuildPushResult } from './run.js';

export function renderBuildPush(r: BuildPushResult): string {
  const summary = [
    `image:     ${r.image}`,
    `platforms: ${r.platforms.join(', ')}`,
    `revision:  ${r.revision}`,
  ];
  if (r.dryRun) {
    const lines = ['Dry run: these commands would run (nothing was built):'];
    for (const c of r.commands) lines.push(`  ${c}`);
    lines.push('', ...summary);
    return `${lines.join('\n')}\n`;
  }
  const lines = [
    ...summary,
    `pushed:    ${r.pushed ? 'yes' : 'no (loaded into the local Docker; add --push to publish)'}`,
  ];
  if (r.digest) lines.push(`digest:    ${r.digest}`);
  if (r.pushed && r.digest)
    lines.push('', `Deploy it by digest: ${r.image.replace(/:[^:/]+$/, '')}@${r.digest}`);
  return `${lines.join('\n')}\n`;
}
