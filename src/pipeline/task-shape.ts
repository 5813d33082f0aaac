/**
 * Payload → canonical Task: the integration's JSONata transform (or the payload as is), then
 * validation against the Task schema. Failures are reasons a person can act on; the pipeline
 * dead-letters the event with them.
 */
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { Integration } from '../config/model.js';
import { type Task, TaskSchema } from '../core/task.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
const validateTask = ajv.compile<Task>(TaskSchema);

export type TaskResult = { ok: true; task: Task } | { ok: false; reason: string };

/** Run the integration's transform (with `$event`, `$action` bound for built-in sources) and validate the Task. */
export async function transformToTask(
  integration: Integration,
  payload: unknown,
  bindings: Record<string, unknown> = {},
): Promise<TaskResult> {
  let output: unknown = payload;
  if (integration.transform) {
    try {
      output = await integration.transform.evaluate(payload, bindings);
    } catch (e) {
      const err = e as { message?: string; code?: string; position?: number };
      return { ok: false, reason: `transform failed: ${err.message ?? String(e)}${err.code ? ` (${err.code})` : ''}` };
    }
  }
  if (output === undefined || output === null || typeof output !== 'object' || Array.isArray(output)) {
    return {
      ok: false,
      reason: `transform produced ${Array.isArray(output) ? 'an array' : String(output)}, not a Task object`,
    };
  }
  return validateTaskShape(output);
}

/** Validate a candidate Task (from a transform or a built-in mapping) and canonicalise it. */
export function validateTaskShape(output: object): TaskResult {
  // JSONata yields undefined for absent paths and may return its own sequence types: plain JSON only.
  const candidate = JSON.parse(JSON.stringify(output)) as Record<string, unknown>;
  if (!validateTask(candidate)) {
    const problems = (validateTask.errors ?? [])
      .map(
        (e) =>
          `${e.instancePath || '/'} ${e.message}${e.keyword === 'additionalProperties' ? ` (${(e.params as { additionalProperty: string }).additionalProperty})` : ''}`,
      )
      .join('; ');
    return { ok: false, reason: `not a valid Task: ${problems}` };
  }
  const task = candidate as Task;
  if (task.dueAt !== undefined) task.dueAt = new Date(task.dueAt).toISOString();
  if (task.labels) task.labels = [...new Set(task.labels)];
  return { ok: true, task };
}
