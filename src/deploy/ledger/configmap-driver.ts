/**
 * The ConfigMap ledger driver: one ConfigMap per record in the deployment's namespace, the way
 * Helm's `pkg/storage/driver/cfgmaps.go` stores releases.
 *
 *   name    mobius-ledger.<kind>.<id>
 *   labels  app.kubernetes.io/managed-by=mobius-deploy, mobius.dev/ledger=true,
 *           mobius.dev/kind=<kind>, mobius.dev/env=<env>, mobius.dev/result=<result>,
 *           mobius.dev/record-id=<id>
 *   data    record: the record as JSON (readable with `kubectl get cm NAME -o yaml`)
 *
 * Updates send the resourceVersion that was read; the API server answers 409 Conflict when someone
 * else wrote in between, which this driver turns into `LedgerConflictError` for the `Ledger` to
 * re-read and merge.
 */
import type { KubeConfig, V1ConfigMap } from '@kubernetes/client-node';
import { NamespaceNotFoundError } from '../errors.js';
import { httpStatusOf } from '../kube/errors.js';
import { collectionPath, namespacePath, objectPath } from '../kube/resources/paths.js';
import type { JsonTransport } from '../kube/resources/reader.js';
import { MANAGED_BY } from '../manifests/labels.js';
import {
  LedgerAlreadyExistsError,
  LedgerConflictError,
  type LedgerDriver,
  LedgerInvalidRecordError,
  LedgerNotFoundError,
  type ListResult,
  matchesFilter,
  type RecordFilter,
  type StoredRecord,
} from './driver.js';
import {
  LEDGER_SCHEMA_VERSION,
  type LedgerRecord,
  newestFirst,
  parseRecordJson,
  type RecordKind,
} from './record.js';

export const LEDGER_LABEL = 'mobius.dev/ledger';
export const KIND_LABEL = 'mobius.dev/kind';
export const ENV_LABEL = 'mobius.dev/env';
export const RESULT_LABEL = 'mobius.dev/result';
export const RECORD_ID_LABEL = 'mobius.dev/record-id';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const RECORD_DATA_KEY = 'record';

/** The few ConfigMap calls the driver needs; `configMapApiFromKubeConfig` adapts the real client. */
export interface ConfigMapApi {
  create(namespace: string, body: V1ConfigMap): Promise<V1ConfigMap>;
  replace(namespace: string, name: string, body: V1ConfigMap): Promise<V1ConfigMap>;
  read(namespace: string, name: string): Promise<V1ConfigMap>;
  list(namespace: string, labelSelector: string): Promise<V1ConfigMap[]>;
  delete(namespace: string, name: string): Promise<void>;
  /** Whether the namespace exists (undefined: cannot tell); asked when a list is empty or a read 404s. */
  namespaceExists?(namespace: string): Promise<boolean | undefined>;
}

/** The ConfigMap name of a record. */
export function configMapName(kind: string, id: string): string {
  return `mobius-ledger.${kind}.${id}`;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A label value, or undefined when the text cannot be one (too long or bad characters). */
function labelValue(text: string | null | undefined): string | undefined {
  if (!text || text.length > 63 || !LABEL_VALUE.test(text)) return undefined;
  return text;
}

export class ConfigMapLedgerDriver implements LedgerDriver {
  readonly name = 'configmap';

  constructor(
    private readonly api: ConfigMapApi,
    readonly namespace: string,
  ) {}

  private namespaceChecked?: Promise<void>;

  /**
   * The API server lists nothing and reads 404 in a namespace that does not exist: then the
   * ledger is not empty but out of reach, the same NamespaceNotFoundError (exit 5) as every command.
   */
  private assertNamespace(): Promise<void> {
    const exists = this.api.namespaceExists;
    if (!exists) return Promise.resolve();
    this.namespaceChecked ??= exists.call(this.api, this.namespace).then((found) => {
      if (found === false) throw new NamespaceNotFoundError(this.namespace);
    });
    return this.namespaceChecked;
  }

  private toConfigMap(record: LedgerRecord, resourceVersion?: string): V1ConfigMap {
    const labels: Record<string, string> = {
      [MANAGED_BY_LABEL]: MANAGED_BY,
      [LEDGER_LABEL]: 'true',
    };
    const kind = labelValue(record.kind);
    if (kind) labels[KIND_LABEL] = kind;
    const env = labelValue(record.environment);
    if (env) labels[ENV_LABEL] = env;
    const result = labelValue((record as { result?: string }).result);
    if (result) labels[RESULT_LABEL] = result;
    const id = labelValue(record.id);
    if (id) labels[RECORD_ID_LABEL] = id;
    return {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: configMapName(record.kind, record.id),
        namespace: this.namespace,
        labels,
        annotations: { 'mobius.dev/schema-version': String(record.schemaVersion ?? LEDGER_SCHEMA_VERSION) },
        ...(resourceVersion ? { resourceVersion } : {}),
      },
      data: { [RECORD_DATA_KEY]: JSON.stringify(record) },
    };
  }

  private fromConfigMap(cm: V1ConfigMap): StoredRecord {
    const location = `configmap/${cm.metadata?.name ?? '?'}`;
    const parsed = parseRecordJson(cm.data?.[RECORD_DATA_KEY]);
    if (!parsed.ok) throw new LedgerInvalidRecordError(location, parsed.error);
    return { record: parsed.record, version: cm.metadata?.resourceVersion ?? '' };
  }

  async create(record: LedgerRecord): Promise<StoredRecord> {
    try {
      const cm = await this.api.create(this.namespace, this.toConfigMap(record));
      return { record: structuredClone(record), version: cm.metadata?.resourceVersion ?? '' };
    } catch (err) {
      if (httpStatusOf(err) === 409) throw new LedgerAlreadyExistsError(record.kind, record.id);
      throw err;
    }
  }

  async update(record: LedgerRecord, version: string): Promise<StoredRecord> {
    const name = configMapName(record.kind, record.id);
    try {
      const cm = await this.api.replace(this.namespace, name, this.toConfigMap(record, version));
      return { record: structuredClone(record), version: cm.metadata?.resourceVersion ?? '' };
    } catch (err) {
      const code = httpStatusOf(err);
      if (code === 409) throw new LedgerConflictError(record.kind, record.id);
      if (code === 404) throw new LedgerNotFoundError(record.kind, record.id);
      throw err;
    }
  }

  async get(kind: RecordKind, id: string): Promise<StoredRecord> {
    try {
      return this.fromConfigMap(await this.api.read(this.namespace, configMapName(kind, id)));
    } catch (err) {
      if (httpStatusOf(err) === 404) {
        await this.assertNamespace();
        throw new LedgerNotFoundError(kind, id);
      }
      throw err;
    }
  }

  async list(filter: RecordFilter = {}): Promise<ListResult> {
    const selector = [`${LEDGER_LABEL}=true`];
    const kinds = filter.kind === undefined ? [] : Array.isArray(filter.kind) ? filter.kind : [filter.kind];
    if (kinds.length === 1 && labelValue(kinds[0])) selector.push(`${KIND_LABEL}=${kinds[0]}`);
    if (filter.environment && labelValue(filter.environment))
      selector.push(`${ENV_LABEL}=${filter.environment}`);
    const items = await this.api.list(this.namespace, selector.join(','));
    if (items.length === 0) await this.assertNamespace();
    const records: StoredRecord[] = [];
    const problems: ListResult['problems'] = [];
    for (const cm of items) {
      try {
        const stored = this.fromConfigMap(cm);
        if (matchesFilter(stored.record, filter)) records.push(stored);
      } catch (err) {
        if (!(err instanceof LedgerInvalidRecordError)) throw err;
        problems.push({ location: err.location, message: err.reason });
      }
    }
    records.sort((a, b) => newestFirst(a.record, b.record));
    return { records, problems };
  }

  async delete(kind: RecordKind, id: string): Promise<void> {
    try {
      await this.api.delete(this.namespace, configMapName(kind, id));
    } catch (err) {
      if (httpStatusOf(err) !== 404) throw err;
    }
  }
}

/** Adapts `@kubernetes/client-node`'s CoreV1Api to `ConfigMapApi`. */
export async function configMapApiFromKubeConfig(kc: KubeConfig): Promise<ConfigMapApi> {
  const { CoreV1Api } = await import('@kubernetes/client-node');
  const core = kc.makeApiClient(CoreV1Api);
  return {
    create: (namespace, body) => core.createNamespacedConfigMap({ namespace, body }),
    replace: (namespace, name, body) => core.replaceNamespacedConfigMap({ namespace, name, body }),
    read: (namespace, name) => core.readNamespacedConfigMap({ namespace, name }),
    list: async (namespace, labelSelector) =>
      (await core.listNamespacedConfigMap({ namespace, labelSelector })).items ?? [],
    delete: async (namespace, name) => {
      await core.deleteNamespacedConfigMap({ namespace, name });
    },
  };
}

/**
 * `ConfigMapApi` over the CLI's fast JSON transport (no @kubernetes/client-node load). Errors keep
 * their HTTP status (`statusCode`), so 404/409 are recognised by `httpStatusOf`.
 */
export function configMapApiFromTransport(transport: JsonTransport): ConfigMapApi {
  const base = (namespace: string) => collectionPath('v1', 'configmaps', namespace);
  const one = (namespace: string, name: string) => objectPath('v1', 'configmaps', namespace, name);
  return {
    create: (namespace, body) =>
      transport.requestJson<V1ConfigMap>({ method: 'POST', path: base(namespace), body }),
    replace: (namespace, name, body) =>
      transport.requestJson<V1ConfigMap>({
        method: 'PUT',
        path: one(namespace, name),
        body,
      }),
    read: (namespace, name) => transport.requestJson<V1ConfigMap>({ path: one(namespace, name) }),
    list: async (namespace, labelSelector) =>
      (
        await transport.requestJson<{ items?: V1ConfigMap[] }>({
          path: base(namespace),
          query: { labelSelector },
        })
      ).items ?? [],
    delete: async (namespace, name) => {
      await transport.requestJson({
        method: 'DELETE',
        path: one(namespace, name),
      });
    },
    namespaceExists: async (namespace) => {
      try {
        await transport.requestJson({ path: namespacePath(namespace) });
        return true;
      } catch (err) {
        const status = httpStatusOf(err);
        if (status === 404 || (err as Error | null)?.name === 'NamespaceNotFoundError') return false;
        if (status === 403 || (err as Error | null)?.name === 'AccessDeniedError') return undefined;
        throw err;
      }
    },
  };
}
