/**
 * core/v1 Event recording with the API server's aggregation: the same reason and message for the
 * same object bump `count` and `lastTimestamp` instead of adding a new Event.
 */
import { randomBytes } from 'node:crypto';
import { findResource } from './resources.js';
import type { KObj } from './status.js';
import type { Store } from './store.js';

const EVENTS = findResource('', 'v1', 'events')!;
const NAMESPACES = findResource('', 'v1', 'namespaces')!;

/** An event to record against an object. */
export interface EventInput {
  /** The object the event is about (needs apiVersion, kind, metadata.name/namespace/uid). */
  involvedObject: KObj;
  reason: string;
  message: string;
  type?: 'Normal' | 'Warning';
  /** Reporting component, e.g. kubelet, default-scheduler, deployment-controller. */
  component?: string;
  host?: string;
  /** e.g. spec.containers{worker} */
  fieldPath?: string;
  /** Override the count (default: 1, or +1 on aggregation). */
  count?: number;
}

export class EventRecorder {
  private readonly index = new Map<string, string>();

  constructor(
    private readonly store: Store,
    private readonly now: () => number,
  ) {}

  /** Records (or aggregates) an event. Returns the stored Event, or undefined when the namespace is gone. */
  record(e: EventInput): KObj | undefined {
    const io = e.involvedObject;
    const ns = io.metadata?.namespace ?? 'default';
    if (!this.store.peek(NAMESPACES, undefined, ns)) return undefined;
    const type = e.type ?? 'Normal';
    const key = `${io.metadata?.uid}|${type}|${e.reason}|${e.message}|${e.fieldPath ?? ''}`;
    const ts = this.store.timestamp(this.now());
    const existingName = this.index.get(key);
    if (existingName && this.store.peek(EVENTS, ns, existingName)) {
      return this.store.mutate(EVENTS, ns, existingName, (ev) => {
        ev.count = e.count ?? (ev.count ?? 1) + 1;
        ev.lastTimestamp = ts;
      });
    }
    const name = `${io.metadata?.name}.${randomBytes(8).toString('hex')}`;
    this.index.set(key, name);
    const component = e.component ?? 'kubelet';
    const ev: KObj = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: ns },
      involvedObject: {
        apiVersion: io.apiVersion,
        kind: io.kind,
        name: io.metadata?.name,
        namespace: io.metadata?.namespace,
        uid: io.metadata?.uid,
        resourceVersion: io.metadata?.resourceVersion,
        ...(e.fieldPath ? { fieldPath: e.fieldPath } : {}),
      },
      reason: e.reason,
      message: e.message,
      source: { component, ...(e.host ? { host: e.host } : {}) },
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: e.count ?? 1,
      type,
      eventTime: null,
      reportingComponent: component,
      reportingInstance: e.host ?? '',
    };
    return this.store.insert(EVENTS, this.store.prepareCreate(EVENTS, ev, ns));
  }
}
