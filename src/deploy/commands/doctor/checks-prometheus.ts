/** `doctor`'s Prometheus check (with --prometheus-url): Prometheus answers /-/ready. */
import { errText } from './failure.js';
import type { DoctorCheck } from './types.js';

export async function checkPrometheus(url: string, fetchImpl: typeof fetch): Promise<DoctorCheck> {
  const target = `${url.replace(/\/+$/, '')}/-/ready`;
  try {
    const res = await fetchImpl(target, { signal: AbortSignal.timeout(5000) });
    const body = (await res.text()).trim().slice(0, 120);
    if (res.ok)
      return {
        name: 'prometheus',
        status: 'pass',
        evidence: `${target} answered ${res.status}${body ? `: ${body}` : ''}`,
      };
    return {
      name: 'prometheus',
      status: 'fail',
      evidence: `${target} answered ${res.status}${body ? `: ${body}` : ''}`,
      fix: 'Prometheus is up but not ready (still loading the WAL?); check its logs, or the --prometheus-url.',
    };
  } catch (err) {
    const cause = (err as Error)?.cause as Error | undefined;
    return {
      name: 'prometheus',
      status: 'fail',
      evidence: `${target}: ${errText(err)}${cause?.message ? ` (${cause.message})` : ''}`,
      fix: 'Check --prometheus-url (for a cluster Prometheus: kubectl port-forward svc/<prometheus> 9090 and use http://127.0.0.1:9090).',
    };
  }
}
