/**
 * What a delivery means once normalised. Built-in sources map their payloads to one of these;
 * the generic source is always an upsert of the Task its transform yields.
 */
import type { Integration } from '../../config/model.js';
import type { Roster, Task } from '../../core/index.js';

export type SourceAction =
  /** Create the task, or update the fields of the one with this externalId (its assignment stays). */
  | { kind: 'upsert'; task: Task }
  /** The work is done (close) or withdrawn (cancel) at the source: frees its assignee; or its assignee took it (acknowledge). */
  | { kind: 'close'; externalId: string; how: 'close' | 'cancel' | 'acknowledge'; reason: string }
  /** Reopened at the source: a closed task goes back through routing; an unknown one is created. */
  | { kind: 'reopen'; task: Task; reason: string }
  /** A person assigned it at the source: recorded as an override, not fought. */
  | {
      kind: 'override';
      externalId: string;
      assignee: string | null;
      /** Apply only while the task is assigned to this member (an unassignment at the source names whom it removed). */
      ifAssignedTo?: string;
      actor: string;
      reason: string;
    }
  /** Nothing to do (a ping, an action we do not route on), with the reason kept on the event. */
  | { kind: 'ignore'; reason: string };

export type NormalizeResult = { ok: true; action: SourceAction } | { ok: false; reason: string };

export interface SourceInput {
  integration: Integration;
  payload: unknown;
  /** The headers intake kept for this source (e.g. x-github-event). */
  meta: Record<string, string>;
  roster: Roster;
}

export type SourceNormalizer = (input: SourceInput) => Promise<NormalizeResult> | NormalizeResult;
