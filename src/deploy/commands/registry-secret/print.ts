/** `registry-secret rotate`'s view: what was written, the policy, and the read-back checks. */
import type { RotateResult } from './run.js';

export function renderRotate(r: RotateResult): string {
  const lines = [
    `${r.action === 'created' ? 'Created' : 'Rotated'} image pull secret ${r.name} in ${r.namespace} for ${r.server} (user ${r.username}).`,
    `  rotated at:   ${r.rotatedAt} by ${r.rotatedBy}${r.previousRotatedAt ? ` (previous rotation ${r.previousRotatedAt})` : ''}`,
    `  policy:       rotate every ${r.maxAgeDays} days; next due ${r.nextDueAt}`,
    `  verification: ${r.verified ? 'the stored secret is well-formed' : 'FAILED'}`,
    ...r.checks.map((c) => `    ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`),
    '',
    `Pods pull with it when the Deployment names it: spec.template.spec.imagePullSecrets: [{name: ${r.name}}].`,
  ];
  return `${lines.join('\n')}\n`;
}
