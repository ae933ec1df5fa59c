import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  findSamples,
  metricFamilies,
  parsePrometheusText,
  sampleValue,
} from '../../src/deploy/metrics/prom-text.js';

const TEXT = `# HELP preview_worker_jobs_total Preview jobs processed, by outcome.
# TYPE preview_worker_jobs_total counter
preview_worker_jobs_total{outcome="completed"} 42
preview_worker_jobs_total{outcome="failed"} 3
# TYPE preview_worker_job_duration_seconds histogram
preview_worker_job_duration_seconds_bucket{outcome="completed",le="0.5"} 10
preview_worker_job_duration_seconds_bucket{outcome="completed",le="+Inf"} 42
preview_worker_job_duration_seconds_sum{outcome="completed"} 61.5
preview_worker_job_duration_seconds_count{outcome="completed"} 42
# TYPE preview_worker_queue_jobs gauge
preview_worker_queue_jobs{state="waiting"} 7
preview_worker_queue_jobs{state="active"} 2
preview_worker_active_jobs 2
preview_worker_build_info{version="1.2.0",revision="abc\\"d\\\\e\\nf"} 1
process_start_time_seconds 1.7e9 1712345678901
nodejs_heap_space{space="new" ,  kind = "x"} NaN
weird_inf -Inf
`;

describe('parsePrometheusText', () => {
  const m = parsePrometheusText(TEXT);
  it('parses samples, labels, types and help', () => {
    assert.equal(m.errors.length, 0, JSON.stringify(m.errors));
    assert.equal(m.types.get('preview_worker_job_duration_seconds'), 'histogram');
    assert.equal(m.help.get('preview_worker_jobs_total'), 'Preview jobs processed, by outcome.');
    assert.equal(sampleValue(m, 'preview_worker_jobs_total', { outcome: 'completed' }), 42);
    assert.equal(sampleValue(m, 'preview_worker_queue_jobs', { state: 'waiting' }), 7);
    assert.equal(sampleValue(m, 'preview_worker_active_jobs'), 2);
    assert.equal(findSamples(m, 'preview_worker_job_duration_seconds_bucket').length, 2);
    assert.equal(sampleValue(m, 'preview_worker_job_duration_seconds_bucket', { le: '+Inf' }), 42);
  });
  it('unescapes label values', () => {
    assert.equal(findSamples(m, 'preview_worker_build_info')[0].labels.revision, 'abc"d\\e\nf');
  });
  it('reads timestamps, exponents, NaN and infinities', () => {
    const start = findSamples(m, 'process_start_time_seconds')[0];
    assert.equal(start.value, 1.7e9);
    assert.equal(start.timestamp, 1712345678901);
    assert.ok(Number.isNaN(sampleValue(m, 'nodejs_heap_space') as number));
    assert.equal(findSamples(m, 'nodejs_heap_space')[0].labels.kind, 'x');
    assert.equal(sampleValue(m, 'weird_inf'), Number.NEGATIVE_INFINITY);
  });
  it("reads prom-client's `Nan` and other special values case-insensitively, as Prometheus does", () => {
    const t = parsePrometheusText('a_gauge Nan\nb_gauge +inf\nc_gauge -INF\n');
    assert.deepEqual(t.errors, []);
    assert.ok(Number.isNaN(sampleValue(t, 'a_gauge') as number));
    assert.equal(sampleValue(t, 'b_gauge'), Number.POSITIVE_INFINITY);
    assert.equal(sampleValue(t, 'c_gauge'), Number.NEGATIVE_INFINITY);
  });
  it('knows metric families, histograms included', () => {
    const f = metricFamilies(m);
    for (const name of [
      'preview_worker_jobs_total',
      'preview_worker_job_duration_seconds',
      'preview_worker_queue_jobs',
      'preview_worker_active_jobs',
    ]) {
      assert.ok(f.has(name), name);
    }
    assert.ok(!f.has('preview_worker_stalled_jobs_total'));
  });
  it('reports bad lines with their numbers instead of throwing', () => {
    const bad = parsePrometheusText(
      'ok_metric 1\nbad{label="x" 2\nno_value\n1leading 3\nfine 2\nbadval abc\n',
    );
    assert.deepEqual(
      bad.errors.map((e) => e.line),
      [2, 3, 4, 6],
    );
    assert.equal(bad.samples.length, 2);
  });
});
