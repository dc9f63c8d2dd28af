/**
 * The NetBackup event simulator: seeded scenarios that change the shared world model and raise the matching
 * notifications at each poll (`Simulator`), and its daemon service (`SimulatorService`).
 */
export { Simulator } from './simulator.js';
export type { NotificationSink, RaisedEvent, ScenarioEvent, SimulatorConfig, SimulatorEvents, SimulatorOptions, SimulatorStats } from './simulator.js';
export { SimulatorService } from './service.js';
export type { SimulatorServiceContext, SimulatorServiceDeps } from './service.js';
export { SCENARIOS, SCENARIO_NAMES, FAILURE_STATUS, isScenarioName } from './scenarios.js';
export type { Scenario, ScenarioName, ScenarioPlan, Step } from './scenarios.js';
export { ChangeLog, toRuns } from './change-log.js';
export type { NotificationRun, PendingNotification } from './change-log.js';
export { Random } from './random.js';
