/**
 * How a check reads a failed request: its message, and its HTTP status. The transport turns a 401,
 * a 403 and a missing namespace into CliErrors (kube/errors.ts mapKubeError), which carry no status
 * of their own, so their names count as those statuses; every other error's status is httpStatusOf's.
 */
import { httpStatusOf } from '../../kube/errors.js';

export function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const MAPPED_STATUS: Record<string, number> = {
  AccessDeniedError: 403,
  CredentialsError: 401,
  NamespaceNotFoundError: 404,
};

export function failureStatus(err: unknown): number | undefined {
  const name = (err as Error | null | undefined)?.name;
  return (
    (name !== undefined && Object.hasOwn(MAPPED_STATUS, name) ? MAPPED_STATUS[name] : undefined) ??
    httpStatusOf(err)
  );
}
