import { exclusionOf } from './eligibility.js';
import type { Strategy } from './types.js';

/** The route's named assignee, or the task's requested assignee when the route names none. */
export const direct: Strategy = (input) => {
  const target = input.route.route.assignee ?? input.task.requestedAssignee;
  if (!target) return { assignee: null, candidates: [], why: 'the task requested no assignee' };
  const reason = exclusionOf(target, input);
  if (reason) return { assignee: null, candidates: [{ memberId: target, excluded: reason }], why: '' };
  const source = input.route.route.assignee ? 'named by the route' : 'requested by the task';
  return { assignee: target, candidates: [{ memberId: target, score: 1 }], why: `${target} was ${source}` };
};
