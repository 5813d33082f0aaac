/**
 * GitHub deliveries → source actions. Issues and pull requests become Tasks keyed
 * `<owner>/<repo>#<number>` (they share GitHub's number space, so the key is unique per repo);
 * opening or changing one upserts it, closing it frees its assignee, and an assignment made on
 * GitHub is recorded as a person's override rather than fought. Everything else (ping, pins,
 * milestones, pushes to a PR, review requests…) is ignored with a reason naming it.
 */
import type { Member, Roster, Task } from '../../core/index.js';
import { transformToTask, validateTaskShape } from '../task-shape.js';
import type { NormalizeResult, SourceAction, SourceInput, SourceNormalizer } from './types.js';

interface User {
  login?: string;
}
/** The fields of an issue or pull request we read; GitHub sends many more. */
interface Item {
  number?: number;
  title?: string;
  html_url?: string;
  state?: string;
  state_reason?: string | null;
  merged?: boolean;
  user?: User | null;
  labels?: ({ name?: string } | string)[];
  assignee?: User | null;
  assignees?: (User | null)[];
}
interface Payload {
  action?: string;
  issue?: Item;
  pull_request?: Item;
  repository?: { name?: string; full_name?: string };
  sender?: User;
  assignee?: User | null;
  zen?: string;
  hook_id?: number;
  changes?: { new_repository?: { full_name?: string }; new_issue?: { number?: number } };
}

type Routed = 'upsert' | 'reopen' | 'close' | 'cancel' | 'assign';

/** Which event.action does what; anything not listed is ignored. */
const ROUTES: Record<'issues' | 'pull_request', Record<string, Routed>> = {
  issues: {
    opened: 'upsert',
    edited: 'upsert',
    labeled: 'upsert',
    unlabeled: 'upsert',
    reopened: 'reopen',
    closed: 'close',
    // Gone from this repository: withdraw the task. A transfer arrives as issues.opened in the
    // new repository (if that one is hooked up too), under its new key.
    deleted: 'cancel',
    transferred: 'cancel',
    assigned: 'assign',
    unassigned: 'assign',
  },
  pull_request: {
    opened: 'upsert',
    edited: 'upsert',
    labeled: 'upsert',
    unlabeled: 'upsert',
    ready_for_review: 'upsert',
    reopened: 'reopen',
    closed: 'close',
    assigned: 'assign',
    unassigned: 'assign',
  },
};

const PRIORITY_WORDS: Record<string, number> = { critical: 1, high: 2, medium: 3, low: 4 };

/** The most urgent of the `P1`..`P5` and `priority: critical|high|medium|low` labels, if any. */
export function priorityFromLabels(labels: readonly string[]): number | undefined {
  let best: number | undefined;
  for (const label of labels) {
    const l = label.trim().toLowerCase();
    const n = /^p([1-5])$/.exec(l)?.[1] ?? PRIORITY_WORDS[/^priority:\s*(\w+)$/.exec(l)?.[1] ?? ''];
    if (n !== undefined) best = Math.min(best ?? 5, Number(n));
  }
  return best;
}

/** GitHub logins are case-insensitive; so is the match against members' handles.github. */
function memberByLogin(roster: Roster, login: string | undefined): Member | undefined {
  if (!login) return undefined;
  const wanted = login.toLowerCase();
  for (const m of roster.members.values()) if (m.handles.github?.toLowerCase() === wanted) return m;
  return undefined;
}

function assigneeLogins(item: Item): string[] {
  const users = item.assignees?.length ? item.assignees : [item.assignee];
  return users.map((u) => u?.login).filter((l): l is string => typeof l === 'string');
}

/** The built-in mapping; a transform may replace it (it is bound as `$task`). */
export function taskFromItem(p: Payload, event: 'issues' | 'pull_request', item: Item, roster: Roster): Task {
  const labels = (item.labels ?? [])
    .map((l) => (typeof l === 'string' ? l : l.name))
    .filter((l): l is string => typeof l === 'string' && l !== '');
  const priority = priorityFromLabels(labels);
  const requested = assigneeLogins(item)
    .map((login) => memberByLogin(roster, login))
    .find((m) => m !== undefined);
  return {
    externalId: `${p.repository?.full_name}#${item.number}`,
    title: item.title ?? '',
    type: event === 'issues' ? 'issue' : 'pull_request',
    labels,
    ...(priority !== undefined ? { priority } : {}),
    ...(p.repository?.name ? { component: p.repository.name } : {}),
    ...((item.user?.login ?? p.sender?.login) ? { reporter: item.user?.login ?? p.sender?.login } : {}),
    ...(item.html_url ? { url: item.html_url } : {}),
    ...(requested ? { requestedAssignee: requested.id } : {}),
  };
}

async function taskFor(input: SourceInput, p: Payload, event: 'issues' | 'pull_request', item: Item) {
  const builtin = taskFromItem(p, event, item, input.roster);
  return input.integration.transform
    ? transformToTask(input.integration, p, { event, action: p.action, task: builtin })
    : validateTaskShape(builtin);
}

const ignore = (reason: string): NormalizeResult => ({ ok: true, action: { kind: 'ignore', reason } });
const act = (action: SourceAction): NormalizeResult => ({ ok: true, action });

export const normalizeGithub: SourceNormalizer = async (input) => {
  const event = input.meta.event;
  if (!event) return { ok: false, reason: 'no X-GitHub-Event was stored with this delivery' };
  const p = (input.payload ?? {}) as Payload;
  if (event === 'ping') {
    return ignore(`ping: ${p.zen ?? '(no zen)'} (webhook ${p.hook_id ?? '?'} is set up; nothing to route)`);
  }
  const name = p.action ? `${event}.${p.action}` : event;
  if (event !== 'issues' && event !== 'pull_request') return ignore(`${name} is not routed`);
  const routed = p.action ? ROUTES[event][p.action] : undefined;
  if (!routed) return ignore(`${name} is not routed`);

  const item = event === 'issues' ? p.issue : p.pull_request;
  if (!p.repository?.full_name || typeof item?.number !== 'number') {
    return {
      ok: false,
      reason: `the ${name} payload has no repository.full_name or ${event === 'issues' ? 'issue' : 'pull_request'}.number`,
    };
  }
  const externalId = `${p.repository.full_name}#${item.number}`;
  const by = p.sender?.login ?? 'someone';

  switch (routed) {
    case 'upsert': {
      // A change to closed work (a label added after closing) must not open a task for it.
      if (item.state === 'closed') return ignore(`${externalId} is closed on GitHub; ${name} has nothing to route`);
      const task = await taskFor(input, p, event, item);
      return task.ok ? act({ kind: 'upsert', task: task.task }) : task;
    }
    case 'reopen': {
      const task = await taskFor(input, p, event, item);
      return task.ok ? act({ kind: 'reopen', task: task.task, reason: `reopened on GitHub by ${by}` }) : task;
    }
    case 'close': {
      const how =
        event === 'pull_request'
          ? item.merged
            ? 'merged'
            : 'closed without merging'
          : `closed${item.state_reason ? ` as ${item.state_reason}` : ''}`;
      return act({ kind: 'close', externalId, how: 'close', reason: `${how} on GitHub by ${by}` });
    }
    case 'cancel': {
      const to = p.changes?.new_repository?.full_name;
      const what =
        p.action === 'transferred' ? `transferred to ${to ?? 'another repository'}` : `${p.action} on GitHub`;
      return act({ kind: 'close', externalId, how: 'cancel', reason: `${what} by ${by}` });
    }
    case 'assign':
      return assignment(input.roster, p, name, externalId, item, by);
  }
};

/**
 * assigned: the member with that GitHub login takes it, as a person's override.
 * unassigned: only if that member holds it here, it goes to another member still assigned on
 * GitHub, else back to the fallback queue; unassigning someone else changes nothing.
 */
function assignment(
  roster: Roster,
  p: Payload,
  name: string,
  externalId: string,
  item: Item,
  by: string,
): NormalizeResult {
  const login = p.assignee?.login;
  if (!login) return ignore(`${name} names no assignee`);
  const member = memberByLogin(roster, login);
  if (!member) return ignore(`${login} is not a member of this tenant (no member has handles.github: ${login})`);
  const actor = `github:${by}`;
  if (p.action === 'assigned') {
    return act({ kind: 'override', externalId, assignee: member.id, actor, reason: `assigned to ${login} on GitHub` });
  }
  const next = assigneeLogins(item)
    .filter((l) => l.toLowerCase() !== login.toLowerCase())
    .map((l) => memberByLogin(roster, l))
    .find((m) => m !== undefined);
  return act({
    kind: 'override',
    externalId,
    assignee: next?.id ?? null,
    ifAssignedTo: member.id,
    actor,
    reason: `${login} unassigned on GitHub${next ? `; ${next.id} is still assigned there` : ''}`,
  });
}
