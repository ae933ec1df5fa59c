/** Waiting without sleeps: a predicate re-checked after every change and reconcile pass. */
import { type Controllers, deploymentComplete } from './controller/index.js';
import type { WaitOptions } from './public-types.js';
import { findResource } from './resources.js';
import type { KObj } from './status.js';
import type { Store } from './store.js';

const DEPLOY = findResource('apps', 'v1', 'deployments')!;

/** Resolves once the predicate is true (checked after every change and every 10 ms). */
export type WaitFor = <T>(predicate: () => T | undefined | false | null, opts?: WaitOptions) => Promise<T>;

/** The waitFor of a simulator. */
export function makeWaitFor(store: Store, controllers: Controllers): WaitFor {
  return <T>(predicate: () => T | undefined | false | null, opts: WaitOptions = {}): Promise<T> => {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const check = () => {
        if (done) return;
        let v: T | undefined | false | null;
        try {
          v = predicate();
        } catch (err) {
          finish();
          reject(err);
          return;
        }
        if (v) {
          finish();
          resolve(v as T);
        }
      };
      const unsub = store.subscribe(() => queueMicrotask(check));
      const unpass = controllers.onPass(check);
      const poll = setInterval(check, 10);
      const timer = setTimeout(() => {
        finish();
        reject(
          new Error(`kube-sim: timed out after ${timeoutMs} ms waiting for ${opts.message ?? 'a condition'}`),
        );
      }, timeoutMs);
      function finish() {
        done = true;
        unsub();
        unpass();
        clearInterval(poll);
        clearTimeout(timer);
      }
      check();
    });
  };
}

/** Resolves once the deployment is rolled out (the same rules as `kubectl rollout status`). */
export function waitForRollout(
  store: Store,
  waitFor: WaitFor,
  namespace: string,
  name: string,
  opts: WaitOptions = {},
): Promise<KObj> {
  return waitFor(
    () => {
      const d = store.get(DEPLOY, namespace, name);
      return d && deploymentComplete(d) ? d : undefined;
    },
    { message: `deployment ${namespace}/${name} to roll out`, ...opts },
  );
}
