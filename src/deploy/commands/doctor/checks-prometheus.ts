/** `doctor`'s Prometheus check (with --prometheus-url): Prometheus answers /-/ready. */
import { type PrometheusAuth, prometheusEndpoint } from '../../metrics/prometheus-auth.js';
import { errText } from './failure.js';
import type { DoctorCheck } from './types.js';

export async function checkPrometheus(
  url: string,
  fetchImpl: typeof fetch,
  auth?: PrometheusAuth,
): Promise<DoctorCheck> {
  let endpoint: ReturnType<typeof prometheusEndpoint>;
  try {
    endpoint = prometheusEndpoint(url, auth);
  } catch (err) {
    return { name: 'prometheus', status: 'fail', evidence: errText(err), fix: 'Check --prometheus-url.' };
  }
  const target = `${endpoint.display}/-/ready`;
  try {
    const res = await fetchImpl(`${endpoint.url}/-/ready`, {
      headers: endpoint.headers,
      signal: AbortSignal.timeout(5000),
    });
    const body = (await res.text()).trim().slice(0, 120);
    if (res.ok)
      return {
        name: 'prometheus',
        status: 'pass',
        evidence: `${target} answered ${res.status}${body ? `: ${body}` : ''}${endpoint.authSource ? ` (${endpoint.authSource})` : ''}`,
      };
    if (res.status === 401 || res.status === 403)
      return {
        name: 'prometheus',
        status: 'fail',
        evidence: `${target} answered ${res.status}${endpoint.authSource ? ` (${endpoint.authSource})` : ' (no credentials sent)'}`,
        fix: 'Give a bearer token with --prometheus-token-file FILE or $PROMETHEUS_TOKEN, or basic auth with $PROMETHEUS_USERNAME and $PROMETHEUS_PASSWORD (read them with `read -rs`).',
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
