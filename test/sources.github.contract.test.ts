/**
 * Contract: every issues, pull_request and ping example GitHub publishes (the
 * @octokit/webhooks-examples collection, github.com and every GHES version in it) normalises
 * to a definite action — never an error — and each action to the kind it should.
 */
import { createRequire } from 'node:module';
import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import type { Integration } from '../src/config/model.js';
import type { Roster } from '../src/core/index.js';
import { normalizeGithub, priorityFromLabels } from '../src/pipeline/sources/github.js';
import type { SourceAction } from '../src/pipeline/sources/types.js';
import { validateTaskShape } from '../src/pipeline/task-shape.js';
import { member, rosterOf } from './support/roster.js';

interface Definition {
  name: string;
  actions: string[];
  examples: Record<string, unknown>[];
}
const require = createRequire(import.meta.url);
const EXAMPLE_SETS = ['api.github.com', 'ghes-31', 'ghes-32', 'ghes-33', 'ghes-34', 'ghes-35'];
const definitions = EXAMPLE_SETS.flatMap(
  (set) => require(`@octokit/webhooks-examples/${set}/index.json`) as Definition[],
);
const examplesOf = (name: string) => definitions.filter((d) => d.name === name).flatMap((d) => d.examples);

/** The examples' logins are Codertocat and octocat; match case-insensitively. */
const ROSTER: Roster = rosterOf([member('coder', { capacity: 5, handles: { github: 'codertocat' } })]);
const NOBODY: Roster = rosterOf([]);
const integration = (transform?: string): Integration => ({
  id: 'gh',
  type: 'github',
  secrets: [],
  ...(transform ? { transform: jsonata(transform), transformSource: transform } : {}),
});

async function normalize(event: string, payload: unknown, roster = ROSTER, integ = integration()) {
  const result = await normalizeGithub({ integration: integ, payload, meta: { event, delivery: 'd-1' }, roster });
  if (!result.ok) throw new Error(`${event}: ${result.reason}`);
  return result.action;
}

/** What each routed action must become (with a roster in which the examples' assignee is a member). */
const EXPECTED: Record<string, SourceAction['kind']> = {
  opened: 'upsert',
  edited: 'upsert',
  labeled: 'upsert',
  unlabeled: 'upsert',
  ready_for_review: 'upsert',
  reopened: 'reopen',
  closed: 'close',
  deleted: 'close',
  transferred: 'close',
  assigned: 'override',
  unassigned: 'override',
};

function expectValid(action: SourceAction) {
  if (action.kind === 'upsert' || action.kind === 'reopen') {
    const checked = validateTaskShape(action.task);
    expect(checked.ok, checked.ok ? '' : checked.reason).toBe(true);
    expect(action.task.externalId).toMatch(/^[^/#]+\/[^/#]+#\d+$/);
  } else if (action.kind === 'ignore') {
    expect(action.reason.length).toBeGreaterThan(5);
  } else {
    expect(action.externalId).toMatch(/^[^/#]+\/[^/#]+#\d+$/);
    expect(action.reason.length).toBeGreaterThan(5);
  }
}

for (const event of ['issues', 'pull_request'] as const) {
  describe(`every ${event} example`, () => {
    const examples = examplesOf(event);
    it('exists in the collection', () => expect(examples.length).toBeGreaterThan(20));

    it.each(examples.map((e, i) => [`${e.action} #${i}`, e] as const))('%s normalises to its action', async (_, ex) => {
      const action = await normalize(event, ex);
      expectValid(action);
      const expected = EXPECTED[ex.action as string];
      // pull_request has no deleted or transferred; those actions never reach a PR.
      if (expected && !(event === 'pull_request' && ['deleted', 'transferred'].includes(ex.action as string))) {
        expect(action.kind).toBe(expected);
      } else {
        expect(action).toEqual({ kind: 'ignore', reason: `${event}.${ex.action} is not routed` });
      }
      if (action.kind === 'close') {
        expect(action.how).toBe(['deleted', 'transferred'].includes(ex.action as string) ? 'cancel' : 'close');
      }
      if (action.kind === 'upsert' || action.kind === 'reopen') {
        const item = (ex.issue ?? ex.pull_request) as { number: number; title: string; html_url: string };
        const repo = ex.repository as { name: string; full_name: string };
        expect(action.task).toMatchObject({
          externalId: `${repo.full_name}#${item.number}`,
          title: item.title,
          type: event === 'issues' ? 'issue' : 'pull_request',
          component: repo.name,
          url: item.html_url,
        });
      }
    });

    it('assignments to a login no member has are ignored, naming the login', async () => {
      for (const ex of examples.filter((e) => e.action === 'assigned' || e.action === 'unassigned')) {
        const action = await normalize(event, ex, NOBODY);
        const login = (ex.assignee as { login: string }).login;
        expect(action).toEqual({
          kind: 'ignore',
          reason: `${login} is not a member of this tenant (no member has handles.github: ${login})`,
        });
      }
    });
  });
}

describe('the built-in mapping', () => {
  const opened = examplesOf('issues').find((e) => e.action === 'opened')!;
  const withLabels = (names: string[]) => ({
    ...opened,
    issue: { ...(opened.issue as object), labels: names.map((name) => ({ name })) },
  });

  it('maps an opened issue to the canonical Task', async () => {
    expect(await normalize('issues', opened)).toEqual({
      kind: 'upsert',
      task: {
        externalId: 'Codertocat/Hello-World#1',
        title: 'Spelling error in the README file',
        type: 'issue',
        labels: ['bug'],
        component: 'Hello-World',
        reporter: 'Codertocat',
        url: 'https://github.com/Codertocat/Hello-World/issues/1',
        requestedAssignee: 'coder',
      },
    });
    const unknown = await normalize('issues', opened, NOBODY);
    expect(unknown.kind).toBe('upsert');
    expect(unknown.kind === 'upsert' && 'requestedAssignee' in unknown.task).toBe(false);
  });

  it('reads the priority from P1..P5 or "priority: …" labels, the most urgent winning', async () => {
    expect(priorityFromLabels(['bug'])).toBeUndefined();
    expect(priorityFromLabels(['p2'])).toBe(2);
    expect(priorityFromLabels(['Priority: High'])).toBe(2);
    expect(priorityFromLabels(['priority:critical', 'P3'])).toBe(1);
    expect(priorityFromLabels(['priority: low', 'P5'])).toBe(4);
    expect(priorityFromLabels(['P6', 'priority: urgent', 'xP1'])).toBeUndefined();
    const action = await normalize('issues', withLabels(['bug', 'P1']));
    expect(action.kind === 'upsert' && action.task.priority).toBe(1);
  });

  it('ignores a change to a closed issue rather than opening a task for it', async () => {
    const closed = { ...opened, action: 'labeled', issue: { ...(opened.issue as object), state: 'closed' } };
    expect(await normalize('issues', closed)).toEqual({
      kind: 'ignore',
      reason: 'Codertocat/Hello-World#1 is closed on GitHub; issues.labeled has nothing to route',
    });
  });

  it('unassigning hands the task to a member still assigned on GitHub, only if the unassigned one holds it', async () => {
    const unassigned = examplesOf('issues').find((e) => e.action === 'unassigned')!;
    const roster: Roster = rosterOf([
      member('coder', { capacity: 5, handles: { github: 'Codertocat' } }),
      member('octo', { capacity: 5, handles: { github: 'octocat' } }),
    ]);
    const both = {
      ...unassigned,
      issue: { ...(unassigned.issue as object), assignees: [{ login: 'octocat' }] },
    };
    expect(await normalize('issues', both, roster)).toMatchObject({
      kind: 'override',
      assignee: 'octo',
      ifAssignedTo: 'coder',
      actor: 'github:Codertocat',
    });
    expect(await normalize('issues', unassigned, roster)).toMatchObject({ assignee: null, ifAssignedTo: 'coder' });
  });

  it('a transform replaces the mapping, with $event, $action and the built-in $task bound', async () => {
    const transform = `$merge([$task, { "title": $event & "." & $action & ": " & issue.title, "customerTier": "gold" }])`;
    const action = await normalize('issues', opened, ROSTER, integration(transform));
    expect(action).toMatchObject({
      kind: 'upsert',
      task: { externalId: 'Codertocat/Hello-World#1', title: 'issues.opened: Spelling error in the README file' },
    });
    expect(action.kind === 'upsert' && action.task.customerTier).toBe('gold');
    const bad = await normalizeGithub({
      integration: integration('{ "title": issue.title }'),
      payload: opened,
      meta: { event: 'issues' },
      roster: ROSTER,
    });
    expect(bad).toEqual({ ok: false, reason: expect.stringContaining('externalId') });
  });
});

describe('every ping example and other events', () => {
  it.each(examplesOf('ping').map((e, i) => [i, e] as const))('ping #%s is ignored with its zen', async (_, ex) => {
    const action = await normalize('ping', ex);
    expect(action).toEqual({ kind: 'ignore', reason: expect.stringMatching(/^ping: /) });
    expect(action.kind === 'ignore' && action.reason).toContain(ex.zen as string);
  });

  it('an event GitHub may send that is not routed is ignored by name', async () => {
    expect(await normalize('push', { ref: 'refs/heads/main' })).toEqual({
      kind: 'ignore',
      reason: 'push is not routed',
    });
    const pinned = examplesOf('issues').find((e) => e.action === 'pinned')!;
    expect(await normalize('issues', pinned)).toEqual({ kind: 'ignore', reason: 'issues.pinned is not routed' });
  });
});
