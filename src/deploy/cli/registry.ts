/**
 * Every command of mobius-deploy, one module per command in ./commands/<name>.ts.
 * To add a command: create the module (it exports an object with `register(program)`), then add
 * one import and one entry below. Command modules must stay light: define options and help, and
 * lazy-import their action (`await import('./run.js')`) inside the action handler,
 * so `mobius-deploy --help` never loads @kubernetes/client-node, yaml or zod.
 * Do not reuse the global short flags in a command: -n -e -o -q -v (and --context, --kubeconfig).
 */
import type { Command } from 'commander';
import { accessCommand } from '../commands/access/command.js';
import { applyManifestsCommand } from '../commands/apply-manifests/command.js';
import { buildPushCommand } from '../commands/build-push/command.js';
import { deployCommand } from '../commands/deploy/command.js';
import { doctorCommand } from '../commands/doctor/command.js';
import { historyCommand } from '../commands/history/command.js';
import { incidentCommand } from '../commands/incident/command.js';
import { logsCommand } from '../commands/logs/command.js';
import { patternsCommand } from '../commands/patterns/command.js';
import { registrySecretCommand } from '../commands/registry-secret/command.js';
import { renderCommand } from '../commands/render/command.js';
import { reportCommand } from '../commands/report/command.js';
import { rollbackCommand } from '../commands/rollback/command.js';
import { statusCommand } from '../commands/status/command.js';
import { updateManifestsCommand } from '../commands/update-manifests/command.js';
import { verifyCommand } from '../commands/verify/command.js';

export interface CommandModule {
  register(program: Command): void;
}

export const commands: CommandModule[] = [
  renderCommand,
  statusCommand,
  verifyCommand,
  logsCommand,
  patternsCommand,
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
