/**
 * promtool unit tests for every alert, firing and not firing, generated from the same rule source and the
 * same environment thresholds as the rules themselves (deploy/alerts/tests/<env>.test.yaml).
 *
 * The input series and the expected label sets are written by hand here; the expected annotations are the
 * rule's annotation templates expanded with the expected labels (promtool compares annotations too).
 */
import { type AlertName, type AlertRule, backlogThreshold, buildAlertRuleGroups } from './alerts.js';
import { type Environment, memoryBytes } from './environment.js';
import { APP_NAME, CONTAINER_NAME } from './labels.js';

interface InputSeries {
  series: string;
  values: string;
}

interface ExpectedAlert {
  exp_labels: Record<string, string>;
  exp_annotations: Record<string, string>;
}

interface AlertRuleTest {
  eval_time: string;
  alertname: string;
  exp_alerts: ExpectedAlert[];
}

export interface PromtoolTestCase {
  name: string;
  interval: string;
  input_series: InputSeries[];
  alert_rule_test: AlertRuleTest[];
}

export interface PromtoolTestFile {
  rule_files: string[];
  evaluation_interval: string;
  tests: PromtoolTestCase[];
}

/** Expands {{ $labels.name }} the way Prometheus does (a missing label expands to ""). */
export function expandLabelTemplates(text: string, labels: Record<string, string>): string {
  return text.replace(
    /\{\{\s*\$labels\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g,
    (_, name: string) => labels[name] ?? '',
  );
}

function series(name: string, labels: Record<string, string>): string {
  const body = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  return `${name}{${body}}`;
}

/** Generates the promtool test file for an environment; `rulesFile` is relative to the test file. */
export function buildPromtoolTests(env: Environment, rulesFile: string): PromtoolTestFile {
  const rules = new Map<string, AlertRule>();
  for (const group of buildAlertRuleGroups(env)) for (const r of group.rules) rules.set(r.alert, r);
  const ns = env.namespace;
  const job = { namespace: ns, job: APP_NAME };
  const podA = `${APP_NAME}-7d9c8b6f5-abcde`;
  const podB = `${APP_NAME}-7d9c8b6f5-fghij`;

  const expect = (alert: AlertName, labels: Record<string, string>): ExpectedAlert => {
    const rule = rules.get(alert)!;
    const all = { ...labels, ...rule.labels, alertname: alert };
    const annotations = Object.fromEntries(
      Object.entries(rule.annotations).map(([k, v]) => [k, expandLabelTemplates(v, all)]),
    );
    return { exp_labels: { ...labels, ...rule.labels }, exp_annotations: annotations };
  };
  const check = (alertname: AlertName, evalTime: string, alerts: ExpectedAlert[]): AlertRuleTest => ({
    eval_time: evalTime,
    alertname,
    exp_alerts: alerts,
  });
  const testCase = (name: string, input: InputSeries[], checks: AlertRuleTest[]): PromtoolTestCase => ({
    name,
    interval: '1m',
    input_series: input,
    alert_rule_test: checks,
  });

  const tests: PromtoolTestCase[] = [];

  // PreviewWorkerDown -------------------------------------------------------------------------------
  const upA = { ...job, pod: podA, instance: '10.0.0.11:3000' };
  const upB = { ...job, pod: podB, instance: '10.0.0.12:3000' };
  tests.push(
    testCase(
      'PreviewWorkerDown fires for a target that stays down for 5 minutes',
      [
        { series: series('up', upA), values: '1 1 0x15' },
        { series: series('up', upB), values: '1x17' },
      ],
      [
        check('PreviewWorkerDown', '5m', []),
        check('PreviewWorkerDown', '10m', [expect('PreviewWorkerDown', upA)]),
      ],
    ),
    testCase(
      'PreviewWorkerDown fires when no worker target exists at all',
      [
        {
          series: series('up', {
            namespace: ns,
            job: 'some-other-app',
            pod: 'x',
            instance: '10.0.0.99:8080',
          }),
          values: '1x15',
        },
      ],
      [check('PreviewWorkerDown', '10m', [expect('PreviewWorkerDown', job)])],
    ),
    testCase(
      'PreviewWorkerDown stays silent while targets are up or down only briefly',
      [
        { series: series('up', upA), values: '1 1 0 0 1x12' },
        { series: series('up', upB), values: '1x15' },
        // The same job in another namespace is somebody else's concern.
        { series: series('up', { ...upA, namespace: `${ns}-other` }), values: '0x15' },
      ],
      [check('PreviewWorkerDown', '4m', []), check('PreviewWorkerDown', '12m', [])],
    ),
  );

  // PreviewWorkerJobFailureRatio -------------------------------------------------------------------
  // 100 finished jobs a minute; the failed share is just above or just below the threshold.
  const threshold = env.alerts.jobFailureRatio;
  const failedAbove = Math.min(100, Math.floor(threshold * 100) + 1);
  const failedBelow = Math.max(0, Math.ceil(threshold * 100) - 1);
  const jobs = (outcome: string, pod = podA) => series('preview_worker_jobs_total', { ...job, pod, outcome });
  tests.push(
    testCase(
      `PreviewWorkerJobFailureRatio fires at ${failedAbove}% failed jobs`,
      [
        { series: jobs('completed'), values: `0+${100 - failedAbove}x30` },
        { series: jobs('failed'), values: `0+${failedAbove}x30` },
        // Retries, invalid payloads and dry runs are not finished renders: not in the ratio.
        { series: jobs('retrying'), values: '0+500x30' },
        { series: jobs('invalid'), values: '0+500x30' },
      ],
      [
        check('PreviewWorkerJobFailureRatio', '25m', [
          expect('PreviewWorkerJobFailureRatio', { namespace: ns }),
        ]),
      ],
    ),
    testCase(
      `PreviewWorkerJobFailureRatio stays silent at ${failedBelow}% failed jobs`,
      [
        { series: jobs('completed'), values: `0+${100 - failedBelow}x30` },
        { series: jobs('failed'), values: `0+${failedBelow}x30` },
        { series: jobs('dry_run'), values: '0+10x30' },
      ],
      [check('PreviewWorkerJobFailureRatio', '25m', [])],
    ),
    testCase(
      'PreviewWorkerJobFailureRatio stays silent for one failure among very few jobs',
      [
        { series: jobs('completed'), values: '0+0x30' },
        { series: jobs('failed'), values: '0 0 1x28' },
      ],
      [check('PreviewWorkerJobFailureRatio', '10m', [])],
    ),
  );

  // PreviewWorkerQueueBacklogHigh ------------------------------------------------------------------
  // Every pod reports the queue-wide counts, so two pods report the same numbers.
  const limit = backlogThreshold(env);
  const queue = (state: string, pod: string) => series('preview_worker_queue_jobs', { ...job, pod, state });
  const backlogInput = (waiting: number, prioritized: number, delayed: number, active: number) =>
    [podA, podB].flatMap((pod) => [
      { series: queue('waiting', pod), values: `${waiting}x20` },
      { series: queue('prioritized', pod), values: `${prioritized}x20` },
      { series: queue('delayed', pod), values: `${delayed}x20` },
      { series: queue('active', pod), values: `${active}x20` },
    ]);
  const overWaiting = Math.ceil(limit * 0.7);
  const overPrioritized = Math.ceil(limit * 0.2);
  const overDelayed = limit - overWaiting - overPrioritized + 1 + Math.ceil(limit * 0.05);
  tests.push(
    testCase(
      `PreviewWorkerQueueBacklogHigh fires above ${limit} waiting, prioritized and delayed jobs`,
      backlogInput(overWaiting, overPrioritized, overDelayed, 0),
      [
        check('PreviewWorkerQueueBacklogHigh', '5m', []),
        check('PreviewWorkerQueueBacklogHigh', '15m', [
          expect('PreviewWorkerQueueBacklogHigh', { namespace: ns }),
        ]),
      ],
    ),
    testCase(
      'PreviewWorkerQueueBacklogHigh stays silent below the threshold, even with two pods reporting the same queue',
      // Per pod: waiting+prioritized+delayed = threshold exactly (summing both pods would double it); active is not backlog.
      backlogInput(Math.floor(limit / 2), limit - Math.floor(limit / 2), 0, limit * 2),
      [check('PreviewWorkerQueueBacklogHigh', '15m', [])],
    ),
  );

  // PreviewWorkerRenderSlow ------------------------------------------------------------------------
  const p95 = env.alerts.renderP95Seconds;
  const les = [p95 / 4, p95 / 2, p95, p95 * 2, p95 * 4];
  const bucket = (outcome: string, le: string) =>
    series('preview_worker_job_duration_seconds_bucket', { ...job, pod: podA, outcome, le });
  /** Counters per bucket for observations that all land in bucket index `at` (cumulative buckets). */
  const histogram = (outcome: string, at: number, perMinute: number): InputSeries[] => [
    ...les.map((le, i) => ({
      series: bucket(outcome, String(le)),
      values: i >= at ? `0+${perMinute}x40` : '0x40',
    })),
    { series: bucket(outcome, '+Inf'), values: `0+${perMinute}x40` },
  ];
  tests.push(
    testCase(
      `PreviewWorkerRenderSlow fires when completed jobs take ${p95 * 2}-${p95 * 4}s`,
      histogram('completed', 4, 10),
      [
        check('PreviewWorkerRenderSlow', '10m', []),
        check('PreviewWorkerRenderSlow', '30m', [expect('PreviewWorkerRenderSlow', { namespace: ns })]),
      ],
    ),
    testCase(
      `PreviewWorkerRenderSlow stays silent when completed jobs take under ${p95 / 2}s, whatever failed jobs take`,
      [...histogram('completed', 1, 10), ...histogram('failed', 4, 10)],
      [check('PreviewWorkerRenderSlow', '30m', [])],
    ),
  );

  // PreviewWorkerStalledJobs -----------------------------------------------------------------------
  const stalled = series('preview_worker_stalled_jobs_total', { ...job, pod: podA });
  tests.push(
    testCase(
      'PreviewWorkerStalledJobs fires as soon as a job stalls, and clears 15 minutes later',
      [{ series: stalled, values: '0 0 0 1x30' }],
      [
        check('PreviewWorkerStalledJobs', '2m', []),
        check('PreviewWorkerStalledJobs', '5m', [expect('PreviewWorkerStalledJobs', { namespace: ns })]),
        check('PreviewWorkerStalledJobs', '25m', []),
      ],
    ),
    testCase(
      'PreviewWorkerStalledJobs stays silent when the counter does not grow',
      [{ series: stalled, values: '4x20' }],
      [check('PreviewWorkerStalledJobs', '15m', [])],
    ),
  );

  // PreviewWorkerCrashLooping ----------------------------------------------------------------------
  const ksm = (pod: string, containerName = CONTAINER_NAME) => ({
    namespace: ns,
    pod,
    container: containerName,
    job: 'kube-state-metrics',
    instance: '10.0.1.5:8080',
  });
  const restarts = (pod: string, containerName?: string) =>
    series('kube_pod_container_status_restarts_total', ksm(pod, containerName));
  const waiting = (pod: string, reason: string) =>
    series('kube_pod_container_status_waiting_reason', { ...ksm(pod), reason });
  const crashLabels = (pod: string) => ({ namespace: ns, pod, container: CONTAINER_NAME });
  tests.push(
    testCase(
      'PreviewWorkerCrashLooping fires for a container restarting every minute',
      [
        { series: restarts(podA), values: '0+1x30' },
        { series: restarts(podB), values: '0x30' },
      ],
      [check('PreviewWorkerCrashLooping', '20m', [expect('PreviewWorkerCrashLooping', crashLabels(podA))])],
    ),
    testCase(
      'PreviewWorkerCrashLooping fires for a container waiting in CrashLoopBackOff',
      [
        { series: restarts(podA), values: '2x30' },
        { series: waiting(podA, 'CrashLoopBackOff'), values: '1x30' },
      ],
      [check('PreviewWorkerCrashLooping', '10m', [expect('PreviewWorkerCrashLooping', crashLabels(podA))])],
    ),
    testCase(
      "PreviewWorkerCrashLooping stays silent for a few restarts and for other apps' containers",
      [
        { series: restarts(podA), values: '0 1 2 3x28' },
        { series: waiting(podA, 'CrashLoopBackOff'), values: '0x30' },
        { series: waiting(podB, 'ContainerCreating'), values: '1x30' },
        { series: restarts('other-app-5f6d7-xyz12', 'other-app'), values: '0+5x30' },
      ],
      [check('PreviewWorkerCrashLooping', '10m', []), check('PreviewWorkerCrashLooping', '25m', [])],
    ),
  );

  // PreviewWorkerMemoryNearLimit -------------------------------------------------------------------
  const limitBytes = memoryBytes(env.resources.limits.memory);
  const memRatio = env.alerts.memoryLimitRatio;
  const above = Math.round(limitBytes * (memRatio + (1 - memRatio) / 2));
  const below = Math.round(limitBytes * memRatio * 0.8);
  const cadvisor = (pod: string) =>
    series('container_memory_working_set_bytes', {
      namespace: ns,
      pod,
      container: CONTAINER_NAME,
      id: `/kubepods/burstable/pod-${pod}/abc123`,
      image: `${env.image.repository}:${env.image.tag}`,
      name: 'abc123',
      job: 'kubelet',
    });
  const memLimit = (pod: string) =>
    series('kube_pod_container_resource_limits', {
      ...ksm(pod),
      resource: 'memory',
      unit: 'byte',
      node: 'node-1',
    });
  tests.push(
    testCase(
      'PreviewWorkerMemoryNearLimit fires for a container above the share of its limit for 10 minutes',
      [
        { series: cadvisor(podA), values: `${above}x20` },
        { series: memLimit(podA), values: `${limitBytes}x20` },
        { series: cadvisor(podB), values: `${below}x20` },
        { series: memLimit(podB), values: `${limitBytes}x20` },
      ],
      [
        check('PreviewWorkerMemoryNearLimit', '5m', []),
        check('PreviewWorkerMemoryNearLimit', '15m', [
          expect('PreviewWorkerMemoryNearLimit', crashLabels(podA)),
        ]),
      ],
    ),
    testCase(
      'PreviewWorkerMemoryNearLimit stays silent below the share of the limit',
      [
        { series: cadvisor(podA), values: `${below}x20` },
        { series: memLimit(podA), values: `${limitBytes}x20` },
      ],
      [check('PreviewWorkerMemoryNearLimit', '15m', [])],
    ),
  );

  return { rule_files: [rulesFile], evaluation_interval: '1m', tests };
}
