export * from './events.js';
export * from './policies.js';
export * from './server.machine.js';
export * from './supervisor.machine.js';
export * from './router.machine.js';
export * from './public-state.js';
