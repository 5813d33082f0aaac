import type { Candidate } from '../decision.js';
import { exclusionOf } from './eligibility.js';
import type { Strategy } from './types.js';

/**
 * The assignee of the task's related tasks (`relatedTo`, e.g. the earlier ticket from the same
 * customer), first eligible in the order the task lists them. Falls through when none is
 * eligible or the task names none.
 */
export const sticky: Strategy = (input) => {
  const { task, snapshot } = input;
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  let chosen: { id: string; via: string } | null = null;
  for (const externalId of task.relatedTo ?? []) {
    const id = snapshot.related?.[externalId];
    if (!id || seen.has(id)) continue;
    seen.add(id);
    const reason = exclusionOf(id, input);
    if (reason) candidates.push({ memberId: id, excluded: reason });
    else {
      candidates.push({ memberId: id, score: 1 });
      chosen ??= { id, via: externalId };
    }
  }
  if (chosen === null) {
    return {
      assignee: null,
      candidates,
      why: task.relatedTo?.length ? 'no related task has an available assignee' : 'the task names no related task',
    };
  }
  const pick = chosen as { id: string; via: string };
  return { assignee: pick.id, candidates, why: `${pick.id} handled the related task ${pick.via}` };
};
