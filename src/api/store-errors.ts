import { Problem } from '../http/problem.js';
import { TaskNotFound, TaskStateConflict } from '../store/errors.js';

/** Store errors a client can act on, as problems; anything else is rethrown (a 500). */
export function asProblem(e: unknown): unknown {
  if (e instanceof TaskNotFound) return Problem.notFound('task-not-found', `No task ${e.taskId}.`);
  if (e instanceof TaskStateConflict) {
    return Problem.conflict('task-state-conflict', `Cannot ${e.action} task ${e.taskId}: it is ${e.status}.`, {
      taskStatus: e.status,
    });
  }
  return e;
}
