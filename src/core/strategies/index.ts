import type { StrategyName } from '../policy.js';
import { direct } from './direct.js';
import { leastLoaded } from './least-loaded.js';
import { onCall } from './on-call.js';
import { roundRobin } from './round-robin.js';
import { skills } from './skills.js';
import { sticky } from './sticky.js';
import type { Strategy } from './types.js';

/** The built-in strategies; `function` is handled by decide() itself (its answer comes from outside). */
export const STRATEGIES: Readonly<Record<Exclude<StrategyName, 'function'>, Strategy>> = {
  direct,
  round_robin: roundRobin,
  least_loaded: leastLoaded,
  skills,
  on_call: onCall,
  sticky,
};
export type { Strategy, StrategyInput, StrategyResult } from './types.js';
