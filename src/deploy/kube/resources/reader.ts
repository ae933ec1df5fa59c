/**
 * What the typed resource functions need from the transport (kube/client.ts's `KubeClients`
 * satisfies it); tests can pass a small fake.
 */
import type { KubeRequest } from '../client.js';

export type Query = KubeRequest['query'];

export interface KubeReader {
  getJson<T>(path: string, query?: Query, extra?: Partial<KubeRequest>): Promise<T>;
}

export interface KubeWriter extends KubeReader {
  requestJson<T>(req: KubeRequest): Promise<T>;
}

/** A list answer: only `items` is read. */
export interface ListOf<T> {
  items: T[];
}

/** A JSON request function, for the drivers that only write (`KubeClients` satisfies it). */
export interface JsonTransport {
  requestJson<T>(req: {
    method?: string;
    path: string;
    query?: Record<string, string | number | boolean | undefined>;
    body?: unknown;
    contentType?: string;
  }): Promise<T>;
}
