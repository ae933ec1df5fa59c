/**
 * `npm run render:k8s`: rewrites k8s/<env>/ and deploy/alerts/ from deploy/environments/*.yaml.
 */
import { EnvironmentConfigError } from './environment.js';
import { writeRenderedFiles } from './rendered-files.js';

try {
  const { written, removed } = writeRenderedFiles();
  for (const path of removed) process.stdout.write(`removed ${path}\n`);
  process.stdout.write(`wrote ${written.length} files (k8s/<env>/, deploy/alerts/)\n`);
} catch (err) {
  if (err instanceof EnvironmentConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exitCode = err.exitCode;
  } else {
    throw err;
  }
}
