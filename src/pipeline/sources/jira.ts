/**
 * Jira Cloud deliveries → source actions. An issue becomes a Task keyed by its issue key
 * (PROJ-123); creating or editing it upserts it, moving it to a done status closes it,
 * deleting it cancels it, and an assignee a person sets in Jira is recorded as that person's
 * override rather than fought. Every other webhook event is ignored with a reason naming it.
 *
 * Payload shape: Atlassian's "Webhooks" page (developer.atlassian.com/cloud/jira/platform/webhooks)
 * and captures of real deliveries; see test/fixtures/jira/README.md.
 */
import type { JiraFieldMap, JiraMappableField } from '../../config/jira-fields.js';
import type { Member, Roster, Task } from '../../core/index.js';
import { transformToTask, validateTaskShape } from '../task-shape.js';
import type { NormalizeResult, SourceAction, SourceInput, SourceNormalizer } from './types.js';

interface User {
  accountId?: string;
  emailAddress?: string;
  displayName?: string;
}
/** One changelog item; from/to hold account ids for user fields, fromString/toString display names. */
type ChangeItem = Record<string, unknown>;
interface Issue {
  id?: string;
  key?: string;
  self?: string;
  fields?: Record<string, unknown>;
}
interface Payload {
  webhookEvent?: string;
  user?: User;
  issue?: Issue;
  changelog?: { items?: ChangeItem[] };
}

/** Where the built-in mapping reads each Task field; a jira integration's `fields:` replaces entries. */
const BUILT_IN_FIELDS: JiraFieldMap = {
  title: 'summary',
  type: 'issuetype',
  priority: 'priority',
  labels: 'labels',
  component: 'components',
  reporter: 'reporter',
};

/**
 * Jira's default priority scheme, and the older one many sites still use (Blocker … Trivial),
 * onto 1 (most urgent) … 5. Other names a site defines are left unset rather than guessed.
 */
const PRIORITY_NAMES: Record<string, number> = {
  highest: 1,
  high: 2,
  medium: 3,
  low: 4,
  lowest: 5,
  blocker: 1,
  critical: 2,
  major: 3,
  minor: 4,
  trivial: 5,
};

/** JSON.parse objects inherit Object.prototype: `item.toString` would be a function when the key is absent. */
function own(o: unknown, key: string): unknown {
  return o !== null && typeof o === 'object' && Object.hasOwn(o, key) ? (o as Record<string, unknown>)[key] : undefined;
}

/** A field value as text: strings, numbers, and the name of an option, component, version, type or user. */
function text(v: unknown): string | undefined {
  if (Array.isArray(v)) return v.map(text).find((t) => t !== undefined);
  if (typeof v === 'string') return v.trim() || undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (v !== null && typeof v === 'object') {
    for (const key of ['value', 'name', 'displayName', 'key', 'accountId']) {
      const t = own(v, key);
      if (typeof t === 'string' && t.trim() !== '') return t.trim();
    }
  }
  return undefined;
}

export function priorityFromJira(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 1 && v <= 5 ? v : undefined;
  const name = text(v)?.toLowerCase();
  if (name === undefined) return undefined;
  const p = /^p?([1-5])$/.exec(name)?.[1];
  return p !== undefined ? Number(p) : PRIORITY_NAMES[name];
}

/** A user as the reporter: the account id (what handles.jira holds), else what Jira shows. */
function person(v: unknown): string | undefined {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const key of ['accountId', 'emailAddress', 'displayName']) {
      const t = own(v, key);
      if (typeof t === 'string' && t !== '') return t;
    }
  }
  return text(v);
}

/**
 * A due date or time as an RFC 3339 instant. A Jira date (duedate, date pickers) has no time or
 * zone; it is taken as due by the end of that day, UTC. A value that is no time at all is kept,
 * so validation dead-letters the event with a reason naming dueAt (a mapping to the wrong field).
 */
function instant(v: unknown): string | undefined {
  const s = text(v);
  if (s === undefined) return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return `${s}T23:59:59.999Z`;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? s : new Date(ms).toISOString();
}

function list(v: unknown): string[] | undefined {
  if (v === null || v === undefined) return undefined;
  return (Array.isArray(v) ? v : [v]).map(text).filter((t): t is string => t !== undefined);
}

const COERCE: Record<JiraMappableField, (v: unknown) => unknown> = {
  title: text,
  type: (v) => text(v)?.toLowerCase(),
  priority: priorityFromJira,
  labels: list,
  component: text,
  customerTier: text,
  dueAt: instant,
  reporter: person,
  relatedTo: list,
};

export function memberByAccount(roster: Roster, accountId: string | undefined): Member | undefined {
  if (!accountId) return undefined;
  for (const m of roster.members.values()) if (m.handles.jira === accountId) return m;
  return undefined;
}

/** https://<site>/browse/<KEY>, from the issue's REST URL (https://<site>/rest/api/2/…). */
function browseUrl(issue: Issue): string | undefined {
  try {
    return issue.self && issue.key ? `${new URL(issue.self).origin}/browse/${issue.key}` : undefined;
  } catch {
    return undefined;
  }
}

/** The built-in mapping, with the integration's `fields:` over it; a transform may replace it (bound as `$task`). */
export function taskFromIssue(issue: Issue, roster: Roster, fields: JiraFieldMap = {}): Task {
  const values = issue.fields ?? {};
  const task: Record<string, unknown> = { externalId: issue.key, title: '' };
  for (const [name, id] of Object.entries({ ...BUILT_IN_FIELDS, ...fields })) {
    const value = COERCE[name as JiraMappableField](own(values, id as string));
    if (value !== undefined) task[name] = value;
  }
  const requested = memberByAccount(roster, person(own(values, 'assignee')));
  if (requested) task.requestedAssignee = requested.id;
  const url = browseUrl(issue);
  if (url) task.url = url;
  return task as Task;
}

async function taskFor(input: SourceInput, p: Payload, issue: Issue) {
  const builtin = taskFromIssue(issue, input.roster, input.integration.fields);
  return input.integration.transform
    ? transformToTask(input.integration, p, { event: p.webhookEvent, task: builtin })
    : validateTaskShape(builtin);
}

const ignore = (reason: string): NormalizeResult => ({ ok: true, action: { kind: 'ignore', reason } });
const act = (action: SourceAction): NormalizeResult => ({ ok: true, action });

function statusOf(issue: Issue): { name: string; done: boolean } {
  const status = own(issue.fields, 'status');
  const category = own(status, 'statusCategory');
  return { name: text(status) ?? 'a done status', done: own(category, 'key') === 'done' };
}

/** The changelog item for the (system) assignee field, if this update changed it. */
function assigneeChange(p: Payload): ChangeItem | undefined {
  return p.changelog?.items?.find(
    (i) => (own(i, 'fieldId') ?? own(i, 'field')) === 'assignee' && own(i, 'fieldtype') !== 'custom',
  );
}

export const normalizeJira: SourceNormalizer = async (input) => {
  const p = (input.payload ?? {}) as Payload;
  const event = p.webhookEvent;
  if (typeof event !== 'string' || event === '') {
    return { ok: false, reason: 'the body has no webhookEvent: it is not a Jira webhook delivery' };
  }
  if (event !== 'jira:issue_created' && event !== 'jira:issue_updated' && event !== 'jira:issue_deleted') {
    return ignore(`${event} is not routed (only jira:issue_created, jira:issue_updated and jira:issue_deleted are)`);
  }
  const issue = p.issue ?? {};
  const key = issue.key;
  if (typeof key !== 'string' || key === '') return { ok: false, reason: `the ${event} payload has no issue.key` };
  const by = p.user?.displayName ?? p.user?.accountId ?? 'someone';

  if (event === 'jira:issue_deleted') {
    return act({ kind: 'close', externalId: key, how: 'cancel', reason: `deleted on Jira by ${by}` });
  }
  const status = statusOf(issue);
  if (event === 'jira:issue_created') {
    if (status.done) return ignore(`${key} was created already ${status.name} on Jira; nothing to route`);
  } else {
    // Done wins over a reassignment made in the same transition ("resolve and assign back"):
    // the work is over, whoever holds it. Any update of a done issue closes, so a missed
    // transition heals on the next edit.
    if (status.done) {
      return act({ kind: 'close', externalId: key, how: 'close', reason: `${status.name} on Jira (by ${by})` });
    }
    const change = assigneeChange(p);
    // A person made the change (Jira names the user). There is no integration user of ours
    // writing back to Jira yet, so every named user counts as a person.
    if (change && p.user) return assignment(input.roster, p.user, key, change, by);
  }
  const task = await taskFor(input, p, issue);
  return task.ok ? act({ kind: 'upsert', task: task.task }) : task;
};

/**
 * Assigned: the member whose handles.jira is the new account takes it, as a person's override.
 * Unassigned: only if the member it was taken from holds it here does it go back to the
 * fallback queue; unassigning someone who is not a member changes nothing here.
 */
function assignment(roster: Roster, user: User, key: string, change: ChangeItem, by: string): NormalizeResult {
  const actor = `jira:${user.accountId ?? by}`;
  const to = text(own(change, 'to')) ?? text(own(change, 'tmpToAccountId'));
  if (to) {
    const name = text(own(change, 'toString')) ?? to;
    const member = memberByAccount(roster, to);
    if (!member) return ignore(`${key} was assigned on Jira to ${name}, who is not a member (no handles.jira: ${to})`);
    return act({
      kind: 'override',
      externalId: key,
      assignee: member.id,
      actor,
      reason: `assigned to ${name} on Jira by ${by}`,
    });
  }
  const from = text(own(change, 'from')) ?? text(own(change, 'tmpFromAccountId'));
  const name = text(own(change, 'fromString')) ?? from ?? 'nobody';
  const member = memberByAccount(roster, from);
  if (!member)
    return ignore(`${key} was unassigned on Jira from ${name}, who is not a member: nothing held here changes`);
  return act({
    kind: 'override',
    externalId: key,
    assignee: null,
    ifAssignedTo: member.id,
    actor,
    reason: `${name} unassigned on Jira by ${by}`,
  });
}
