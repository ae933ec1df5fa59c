/**
 * Options several commands take, declared once so their flags, help and defaults cannot drift.
 */
import { Option } from 'commander';
import { APP_NAME } from '../manifests/labels.js';

/** `-d, --deployment <name>` (default: the worker's Deployment). */
export function deploymentOption(description = 'Deployment name'): Option {
  return new Option('-d, --deployment <name>', description).default(APP_NAME);
}
