/**
 * The toolkit's one wait: resolves after `ms`, or at once when `signal` aborts (it never rejects,
 * so a loop that sleeps between polls just checks its signal afterwards).
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
