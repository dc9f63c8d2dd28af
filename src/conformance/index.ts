/**
 * The rules an NBWSS endpoint and an NBWSS NetBackup side must follow, one definition each (DESIGN: rooms): the
 * message and order checks as pure functions, and the catalogue of rules and `check-endpoint` checks with their
 * spec sections. Used by the mock endpoint (what NetBackup sends it) and by `nbwss check-endpoint` (what a real
 * endpoint sends back).
 */
export * from './problem.js';
export * from './envelope.js';
export * from './from-netbackup.js';
export * from './from-endpoint.js';
export * from './sequence.js';
export * from './rules.js';
