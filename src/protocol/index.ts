export * from './messages.js';
export * from './decode.js';
export * from './notification-data.js';
export * from './endpoint-details.js';
export * from './limits.js';
export * from './summary.js';
