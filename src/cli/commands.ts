import type { Command } from 'commander';
import { registerRunCommand } from './run.js';
import { registerNotifyCommand } from './notify.js';
import { registerStatusCommand } from './status.js';
import { registerEndpointsCommands } from './endpoints.js';
import { registerMockEndpoint } from './mock-endpoint.js';
import { registerMockNetBackup } from './mock-netbackup.js';
import { registerSimulateCommand } from './simulate.js';
import { registerDemoCommand } from './demo.js';
import { registerHealthcheckCommand } from './healthcheck.js';

/**
 * Every command group registers itself here, one line each, in the order `nbwss --help` lists them.
 */
export function registerCommands(program: Command): void {
  registerRunCommand(program);
  registerEndpointsCommands(program);
  registerNotifyCommand(program);
  registerStatusCommand(program);
  registerHealthcheckCommand(program);
  registerMockEndpoint(program);
  registerMockNetBackup(program);
  registerSimulateCommand(program);
  registerDemoCommand(program);
}
