/** What a test sets on the server: RBAC denials, injected faults, pod metrics, proxy targets. */
import type { ServerResponse } from 'node:http';

/** An RBAC denial: requests matching every given field get 403 Forbidden. */
export interface DenyRule {
  /** get, list, watch, create, update, patch, delete, deletecollection (or a list); default all. */
  verb?: string | string[];
  /** `pods`, `deployments`, or with a subresource `pods/log`, `pods/proxy`, `deployments/scale`; `*` for all. */
  resource: string;
  /** API group (`apps`, '' for core); default any. */
  group?: string;
  /** Only in this namespace; default any. */
  namespace?: string;
  /** Only this object name; default any. */
  name?: string;
}

/** A fault to inject into matching requests. */
export interface FaultRule {
  /** HTTP method (GET, POST, ...); default any. */
  method?: string;
  /** Matched against the URL path (without the query). A string is a substring match. */
  path: RegExp | string;
  /** Matched against the query string (without `?`), e.g. /watch=true/ or /follow=true/. */
  query?: RegExp;
  /** Answer with this status: 500 (InternalError), 429 (TooManyRequests + Retry-After), or any code. */
  status?: number;
  /** Message for the Status body. */
  message?: string;
  /** Retry-After seconds for 429 (default 1). */
  retryAfterSeconds?: number;
  /** Destroy the socket without answering. */
  drop?: boolean;
  /** Wait this long before answering (combined with nothing else: the request then proceeds normally). */
  delayMs?: number;
  /** How many requests it applies to (default: until cleared). */
  times?: number;
}

/** Per-pod container usage for metrics.k8s.io. */
export interface ContainerUsage {
  name?: string;
  cpu: string;
  memory: string;
}

/** Mutable server state shared with the public API. */
export interface ServerState {
  token: string;
  /** Reject requests without the token (kubectl sends none over http; client-node does). */
  requireToken: boolean;
  user: string;
  denyRules: DenyRule[];
  faults: { rule: FaultRule; remaining: number; hits: number }[];
  proxyTargets: Map<string, string>;
  metrics: Map<string, ContainerUsage[]>;
  metricsEnabled: boolean;
  /** Open log streams (for cutLogStreams). */
  logStreams: Set<ServerResponse>;
  /** Open watch streams. */
  watchStreams: Set<ServerResponse>;
  /** Count of requests by "METHOD path" (for tests that check what was called). */
  requestLog: { method: string; path: string; query: string; status?: number }[];
}
