/**
 * Every command of mobius-deploy, one module per command in ./commands/<name>.ts.
 * To add a command: create the module (it exports an object with `register(program)`), then add
 * one import and one entry below. Command modules must stay light: define options and help, and
 * lazy-import their action (`await import('../../actions/<name>.js')`) inside the action handler,
 * so `mobius-deploy --help` never loads @kubernetes/client-node, yaml or zod.
 * Do not reuse the global short flags in a command: -n -e -o -q -v (and --context, --kubeconfig).
 */
import type { Command } from 'commander';
import { accessCommand } from './commands/access.js';
import { applyManifestsCommand } from './commands/apply-manifests.js';
import { buildPushCommand } from './commands/build-push.js';
import { deployCommand } from './commands/deploy.js';
import { doctorCommand } from './commands/doctor.js';
import { historyCommand } from './commands/history.js';
import { incidentCommand } from './commands/incident.js';
import { logsCommand } from './commands/logs.js';
import { registrySecretCommand } from './commands/registry-secret.js';
import { renderCommand } from './commands/render.js';
import { reportCommand } from './commands/report.js';
import { rollbackCommand } from './commands/rollback.js';
import { statusCommand } from './commands/status.js';
import { updateManifestsCommand } from './commands/update-manifests.js';
import { verifyCommand } from './commands/verify.js';

export interface CommandModule {
  register(program: Command): void;
}

export const commands: CommandModule[] = [
  renderCommand,
  statusCommand,
  verifyCommand,
  logsCommand,
  deployCommand,
  rollbackCommand,
  historyCommand,
  buildPushCommand,
  updateManifestsCommand,
  applyManifestsCommand,
  incidentCommand,
  registrySecretCommand,
  doctorCommand,
  accessCommand,
  reportCommand,
];
