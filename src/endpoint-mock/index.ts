/**
 * The mock cloud endpoint: a `wss://` server playing the endpoint side of NBWSS, its conformance checks
 * (reusable without any socket code) and readable renderings of messages.
 */
export { createMockEndpoint, endpointHosts, MockEndpoint } from './server.js';
export * from './types.js';
export * from '../conformance/index.js';
export * from './format.js';
export { buildEndpointDetails, writeDetailsFile, type EndpointDetailsOptions } from './details.js';
export { parseCommandLine, parseHeader, parseInputLine, headerValueProblem, DEFAULT_COMMAND_HEADERS } from './command-line.js';
export { loginThroughChannel, type LoginResult } from './login.js';
export { loadStateDir, STATE_FILES, type MockEndpointState } from './state-dir.js';
