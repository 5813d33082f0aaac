import { transformToTask } from '../task-shape.js';
import type { SourceNormalizer } from './types.js';

/** Generic: the transform's output (or the payload itself) is the Task; always an upsert. */
export const normalizeGeneric: SourceNormalizer = async ({ integration, payload }) => {
  const result = await transformToTask(integration, payload);
  return result.ok ? { ok: true, action: { kind: 'upsert', task: result.task } } : result;
};
