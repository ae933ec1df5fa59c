/**
 * The worker process in the container:
 *
 *   node dist/worker/main.js          (the container's command; config from the environment)
 *
 * The start-up and the drain are bootstrap.ts's; this entry adds its signal rules and its messages.
 * A bad configuration exits 2 and a failed start-up exits 1, each with one line on stderr. Once the
 * worker runs, SIGTERM / SIGINT start the graceful shutdown (see bootstrap.ts) and the process
 * exits 0; a second signal forces an immediate exit (code 1). A signal during start-up has Node's
 * default effect.
 */
import { MAIN_SIGNAL_RULES, runWorker } from './bootstrap.js';
import { isEntryPoint } from './entry-point.js';

/** Entry point of `node dist/worker/main.js`: env config, start, signal handlers. */
export async function runFromCommandLine(): Promise<void> {
  await runWorker({
    env: process.env,
    signals: MAIN_SIGNAL_RULES,
    configError(message) {
      process.stderr.write(`preview-worker: configuration error: ${message}\n`);
      process.exit(2);
    },
    startFailed(message, _config, logger) {
      logger.fatal({ err: message }, 'startup failed');
      process.stderr.write(`preview-worker: startup failed: ${message}\n`);
      process.exit(1);
    },
    shutdownFailed(err, logger) {
      logger.error({ err: err instanceof Error ? err.message : String(err) }, 'shutdown failed');
    },
    forced(signal, logger) {
      logger.warn({ signal }, 'second signal: exiting now without waiting for jobs');
    },
  });
}

if (isEntryPoint(import.meta.url)) {
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(
      `preview-worker: unhandled rejection: ${reason instanceof Error ? reason.message : String(reason)}\n`,
    );
  });
  void runFromCommandLine();
}
