import { exclusionOf } from './eligibility.js';
import type { Strategy } from './types.js';

/** The route's named assignee, or the task's requested assignee when the route names none. */
export const direct: Strategy = ({ route, task, roster, snapshot }) => {
  const target = route.route.assignee ?? task.requestedAssignee;
  if (!target) return { assignee: null, candidates: [], why: 'the task requested no assignee' };
  const reason = exclusionOf(target, roster, snapshot);
  if (reason) return { assignee: null, candidates: [{ memberId: target, excluded: reason }], why: '' };
  const source = route.route.assignee ? 'named by the route' : 'requested by the task';
  return { assignee: target, candidates: [{ memberId: target, score: 1 }], why: `${target} was ${source}` };
};
