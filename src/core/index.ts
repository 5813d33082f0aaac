export * from './canonical-json.js';
export * from './compiled-policy.js';
export * from './conditions.js';
export * from './decide.js';
export * from './decision.js';
export * from './explain.js';
export * from './policy.js';
export * from './task.js';
