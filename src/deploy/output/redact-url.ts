/**
 * The one place a URL's secrets are removed before anything is printed: the user-info part
 * (`http://admin:HUNTER2@host` → `http://***@host`) and the values of query parameters that carry
 * credentials (`?access_token=…` → `?access_token=***`). It takes any text, so an error message
 * that embeds a URL (a fetch failure, a kubeconfig's server) is cleaned as a whole. Used for the
 * cluster server in kube errors and `doctor`, `verify --url`, `--prometheus-url` and the
 * Prometheus client's errors.
 */

/** `scheme://userinfo@` (userinfo: up to the last `@` before the path, so an unencoded `@` in a password goes too). */
const USERINFO_RE = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]*@/gi;
/** A query parameter whose name says it is a credential. */
const SECRET_PARAM_RE =
  /([?&](?:[a-z0-9_.-]*(?:token|password|passwd|secret|apikey|api_key|auth|signature|sig|key)[a-z0-9_.-]*)=)[^&#\s]*/gi;

/** `text` with the credentials of every URL in it replaced by `***`. */
export function redactUrl(text: string): string {
  return text.replace(USERINFO_RE, '$1***@').replace(SECRET_PARAM_RE, '$1***');
}
