/** Custom functions as steps of the pure decide(): what it asks for, and what each answer or failure does. */
import { describe, expect, it } from 'vitest';
import {
  compilePolicy,
  decide,
  decideStep,
  type FunctionAnswer,
  type Roster,
  type Route,
  type Snapshot,
  type Task,
} from '../../src/core/index.js';
import { member, rosterOf } from '../support/roster.js';

const NOW = new Date('2026-03-05T12:00:00Z');
const ROSTER: Roster = rosterOf(
  [member('ana'), member('ben'), member('cy'), member('rm', { capacity: 1 })],
  [{ id: 'support', name: 'Support', members: ['ana', 'ben', 'cy'], timezone: 'UTC' }],
);
const TASK: Task = { externalId: 'T-1', title: 'Refund stuck', priority: 2 };
const SNAP: Snapshot = { load: { ana: 2, ben: 0, cy: 1 }, away: {} };
const REST: Route = { name: 'rest', strategy: 'least_loaded', teams: ['support'] };
const compiled = (routes: Route[]) => compilePolicy({ version: 'pv_fn', fallbackQueue: 'triage', routes }, ROSTER);
const answers = (entries: Record<string, FunctionAnswer>) => new Map(Object.entries(entries));
const ok = (value: unknown): FunctionAnswer => ({ ok: true, value });
const failed: FunctionAnswer = { ok: false, reason: 'timed out after 50 ms' };

const FREEZE: Route = { name: 'freeze', strategy: 'function', function: { name: 'freeze', version: 2 } };
const ARR: Route = { ...REST, name: 'arr', score: { name: 'arr', version: 1 } };
const GATE: Route = { name: 'gate', strategy: 'direct', assignee: 'rm', match: { name: 'is-vip', version: 1 } };

describe('decideStep asks for the answers it lacks', () => {
  it('a decide route asks once, naming the function version and the eligible candidates', () => {
    const routes = [{ ...FREEZE, teams: ['support'] }, REST];
    const step = decideStep(TASK, { ...SNAP, away: { ben: true } }, compiled(routes), NOW);
    expect(step).toEqual({
      need: {
        step: 'decide:freeze',
        kind: 'decide',
        ref: { name: 'freeze', version: 2 },
        route: 'freeze',
        candidates: ['ana', 'cy'],
      },
    });
  });

  it('a score route asks with the strategy’s eligible candidates only; routes before it are decided without functions', () => {
    const step = decideStep(TASK, { ...SNAP, away: { ana: true } }, compiled([ARR]), NOW);
    expect(step).toMatchObject({ need: { step: 'score:arr', kind: 'score', candidates: ['ben', 'cy'] } });
  });

  it('decide() without the answer throws rather than guessing', () => {
    expect(() => decide(TASK, SNAP, compiled([GATE]), NOW)).toThrow(/is-vip@1/);
  });
});

describe('answers', () => {
  it('decide: an assignee, a queue, or abstain (next route)', () => {
    const c = compiled([FREEZE, REST]);
    expect(decide(TASK, SNAP, c, NOW, answers({ 'decide:freeze': ok({ assignee: 'rm' }) }))).toMatchObject({
      outcome: 'assigned',
      assignee: 'rm',
      route: 'freeze',
      strategy: 'function',
    });
    expect(decide(TASK, SNAP, c, NOW, answers({ 'decide:freeze': ok({ queue: 'release' }) }))).toMatchObject({
      outcome: 'queued',
      queue: 'release',
      route: 'freeze',
    });
    const abstained = decide(TASK, SNAP, c, NOW, answers({ 'decide:freeze': ok({ abstain: true }) }));
    expect(abstained).toMatchObject({ assignee: 'ben', route: 'rest' });
  });

  it('score: the function’s ranking replaces the strategy’s, unscored candidates are excluded', () => {
    const d = decide(TASK, SNAP, compiled([ARR]), NOW, answers({ 'score:arr': ok({ scores: { ana: 9, cy: 4 } }) }));
    expect(d.assignee).toBe('ana');
    expect(d.candidates).toEqual([
      { memberId: 'ana', score: 9, breakdown: { function: 9, strategy: -2 } },
      { memberId: 'ben', excluded: { code: 'not_scored' } },
      { memberId: 'cy', score: 4, breakdown: { function: 4, strategy: -1 } },
    ]);
    expect(d.explanation).toContain('scored highest by arr@1');
  });

  it('match: false skips the route, true lets it decide', () => {
    expect(decide(TASK, SNAP, compiled([GATE, REST]), NOW, answers({ 'match:gate': ok(false) })).route).toBe('rest');
    expect(decide(TASK, SNAP, compiled([GATE, REST]), NOW, answers({ 'match:gate': ok(true) })).assignee).toBe('rm');
  });

  it('a decide answer naming someone outside the pool or at capacity is a failure, not an assignment', () => {
    const pooled = compiled([{ ...FREEZE, teams: ['support'] }, REST]);
    const outside = decide(TASK, SNAP, pooled, NOW, answers({ 'decide:freeze': ok({ assignee: 'rm' }) }));
    expect(outside).toMatchObject({ route: 'rest', assignee: 'ben' });
    expect(outside.routesTried[0]?.function?.failure).toContain("not in the route's pool");
    const full = decide(
      TASK,
      { ...SNAP, load: { rm: 1 } },
      compiled([FREEZE, REST]),
      NOW,
      answers({ 'decide:freeze': ok({ assignee: 'rm' }) }),
    );
    expect(full.routesTried[0]?.function?.failure).toContain('at capacity');
  });
});

describe('fallbacks when a function fails', () => {
  it('score, default config: the route ranks by its own strategy and records the failure', () => {
    const d = decide(TASK, SNAP, compiled([ARR]), NOW, answers({ 'score:arr': failed }));
    expect(d).toMatchObject({ assignee: 'ben', route: 'arr' });
    expect(d.routesTried[0]?.function).toEqual({
      step: 'score:arr',
      failure: 'arr@1 failed (timed out after 50 ms)',
      fallback: { action: 'config' },
    });
    expect(d.explanation).toContain('fallback the config decision');
  });

  it('decide, default next_route: the next route decides, skipping this route’s own queue', () => {
    const routes = [{ ...FREEZE, queueIfNoneEligible: 'freeze-q' }, REST];
    const d = decide(TASK, SNAP, compiled(routes), NOW, answers({ 'decide:freeze': failed }));
    expect(d).toMatchObject({ route: 'rest', assignee: 'ben' });
    expect(d.routesTried[0]).toMatchObject({ route: 'freeze', outcome: 'no_eligible_candidate' });
  });

  it('queue fallback: the task waits in the declared queue', () => {
    const routes = [{ ...ARR, onFunctionError: { action: 'queue' as const, queue: 'manual' } }, REST];
    const d = decide(TASK, SNAP, compiled(routes), NOW, answers({ 'score:arr': failed }));
    expect(d).toMatchObject({ outcome: 'queued', queue: 'manual', route: 'arr' });
  });

  it('match with config fallback: the `when` alone decides; with next_route the route is skipped', () => {
    expect(decide(TASK, SNAP, compiled([GATE, REST]), NOW, answers({ 'match:gate': failed })).route).toBe('gate');
    const strict = { ...GATE, onFunctionError: { action: 'next_route' as const } };
    expect(decide(TASK, SNAP, compiled([strict, REST]), NOW, answers({ 'match:gate': failed })).route).toBe('rest');
  });
});
