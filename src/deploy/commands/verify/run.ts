/**
 * The `verify` action: from the command's flags to the checklist (health/verify.ts), against a
 * worker URL with --url, else against the Deployment in the namespace. Returns the result and never
 * prints; print.ts is its view.
 */
import { API_TOKEN_ENV } from '../../../contract/http.js';
import type { CommandContext } from '../../cli/run-command.js';
import { runVerify, runVerifyUrl } from '../../health/verify.js';
import type { VerifyResult } from '../../health/verify-types.js';

export interface VerifyCommandOptions {
  deployment: string;
  service?: string;
  url?: string;
  restartWindow: number;
  timeout: number;
  smoke: boolean;
  smokeTimeout: number;
  apiToken?: string;
  apiTokenSecret?: string;
  apiTokenKey: string;
  port: number;
}

/** What the action needs of the command's context. */
export type VerifyContext = Pick<CommandContext, 'io' | 'globals' | 'now' | 'kube' | 'progress'>;

export async function runVerifyCommand(
  ctx: VerifyContext,
  opts: VerifyCommandOptions,
): Promise<VerifyResult> {
  const common = {
    timeoutMs: opts.timeout,
    smoke: opts.smoke,
    smokeTimeoutMs: opts.smokeTimeout,
    apiToken: opts.apiToken ?? (ctx.io.env[API_TOKEN_ENV] || undefined),
    progress: opts.smoke ? ctx.progress() : undefined,
    now: ctx.now,
  };
  return opts.url
    ? runVerifyUrl({ ...common, url: opts.url })
    : runVerify(await ctx.kube(), {
        ...common,
        namespace: ctx.globals.namespace,
        deployment: opts.deployment,
        service: opts.service,
        restartWindowMs: opts.restartWindow,
        workerPort: opts.port,
        apiTokenSecret: opts.apiTokenSecret,
        apiTokenKey: opts.apiTokenKey,
      });
}
