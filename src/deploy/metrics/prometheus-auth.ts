/**
 * How `report` and `doctor` authenticate to Prometheus, and where its URL's own credentials go:
 * never into a printed line, and never into the URL fetch is given (fetch refuses one that carries
 * them). First wins: --prometheus-token-file (a bearer token), $PROMETHEUS_TOKEN,
 * $PROMETHEUS_USERNAME with $PROMETHEUS_PASSWORD (basic auth), the URL's user and password.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { redactUrl } from '../output/redact-url.js';

export const PROMETHEUS_TOKEN_ENV = 'PROMETHEUS_TOKEN';
export const PROMETHEUS_USERNAME_ENV = 'PROMETHEUS_USERNAME';
export const PROMETHEUS_PASSWORD_ENV = 'PROMETHEUS_PASSWORD';

export interface PrometheusAuthInput {
  /** --prometheus-token-file */
  tokenFile?: string;
  env?: Record<string, string | undefined>;
}

/** The Authorization header to send, and where it came from (for -v and doctor; never the secret). */
export interface PrometheusAuth {
  authorization: string;
  source: string;
}

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;

/** The credentials from the flag or the environment (not the URL's); undefined when none are set. */
export function prometheusAuthFrom(input: PrometheusAuthInput): PrometheusAuth | undefined {
  const env = input.env ?? {};
  if (input.tokenFile) {
    let token: string;
    try {
      token = readFileSync(input.tokenFile, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(
        `--prometheus-token-file ${input.tokenFile} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
        { hint: 'Give a file that holds only the bearer token, for example one written with `read -rs`.' },
      );
    }
    if (!token) throw new ConfigError(`--prometheus-token-file ${input.tokenFile} is empty.`);
    return { authorization: `Bearer ${token}`, source: `bearer token from ${input.tokenFile}` };
  }
  const token = env[PROMETHEUS_TOKEN_ENV]?.trim();
  if (token)
    return { authorization: `Bearer ${token}`, source: `bearer token from $${PROMETHEUS_TOKEN_ENV}` };
  const user = env[PROMETHEUS_USERNAME_ENV];
  const password = env[PROMETHEUS_PASSWORD_ENV];
  if (user || password) {
    if (!user || password === undefined)
      throw new ConfigError(
        `Basic auth for Prometheus needs both $${PROMETHEUS_USERNAME_ENV} and $${PROMETHEUS_PASSWORD_ENV}; only ${user ? PROMETHEUS_USERNAME_ENV : PROMETHEUS_PASSWORD_ENV} is set.`,
      );
    return {
      authorization: basic(user, password),
      source: `basic auth as ${user} from $${PROMETHEUS_USERNAME_ENV}/$${PROMETHEUS_PASSWORD_ENV}`,
    };
  }
  return undefined;
}

/** A Prometheus base URL split into what fetch gets, what is printed, and the headers to send. */
export interface PrometheusEndpoint {
  /** Without user info and without a trailing slash. */
  url: string;
  /** `url` with credential query parameters masked: the only form that is printed. */
  display: string;
  headers: Record<string, string>;
  authSource?: string;
}

/** Parses `--prometheus-url` (ConfigError naming the flag, with the credentials masked). */
export function prometheusEndpoint(baseUrl: string, auth?: PrometheusAuth): PrometheusEndpoint {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new ConfigError(`--prometheus-url "${redactUrl(baseUrl)}" is not a URL`, {
      hint: 'Give the Prometheus base URL, for example http://prometheus.monitoring:9090',
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`--prometheus-url must be http or https (got ${url.protocol})`);
  }
  let chosen = auth;
  if (url.username || url.password) {
    const user = decodeURIComponent(url.username);
    chosen ??= {
      authorization: basic(user, decodeURIComponent(url.password)),
      source: `basic auth as ${user} from the URL`,
    };
    url.username = '';
    url.password = '';
  }
  const plain = url.toString().replace(/\/+$/, '');
  return {
    url: plain,
    display: redactUrl(plain),
    headers: chosen ? { authorization: chosen.authorization } : {},
    ...(chosen ? { authSource: chosen.source } : {}),
  };
}
