/**
 * Snapshot compaction is exact: the pipeline stores only the schedule state the policy can read
 * (core/snapshot-reads.ts), and decide() must give the same decision on the compact snapshot as
 * on one with every team's clock, hours and rotation and every member's working hours — for any
 * task, time and store state. Over examples/routing.yaml (every strategy and modifier, on-call
 * layers and overrides, business and working hours, leave, a clock condition).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Tenant } from '../../src/config/model.js';
import { canonicalJson, decide, type Snapshot, type Task } from '../../src/core/index.js';
import { computeScheduleState } from '../../src/core/schedule-state.js';
import { scheduleReads } from '../../src/core/snapshot-reads.js';

const yaml = readFileSync(new URL('../../examples/routing.yaml', import.meta.url), 'utf8');
const tenant = [...parseConfig(yaml, 'routing.yaml').tenants.values()][0] as Tenant;
const members = [...tenant.roster.members.keys()];

const taskArb: fc.Arbitrary<Task> = fc
  .record({
    n: fc.nat(10_000),
    type: fc.constantFrom(undefined, 'incident', 'bug', 'question'),
    priority: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
    labels: fc.subarray(['payments', 'infra', 'sso']),
    component: fc.constantFrom(undefined, 'database', 'api'),
    customerTier: fc.constantFrom(undefined, 'enterprise', 'free'),
    requestedAssignee: fc.option(fc.constantFrom(...members), { nil: undefined }),
    relatedTo: fc.option(fc.constant(['R-1']), { nil: undefined }),
  })
  .map(({ n, ...t }) => {
    const task: Record<string, unknown> = { externalId: `T-${n}`, title: 'something' };
    for (const [k, v] of Object.entries(t)) if (v !== undefined) task[k] = v;
    return task as Task;
  });

const storeArb = fc.record({
  load: fc.dictionary(fc.constantFrom(...members), fc.integer({ min: 0, max: 8 })),
  away: fc.dictionary(fc.constantFrom(...members), fc.constant(true)),
  related: fc.option(fc.record({ 'R-1': fc.constantFrom(...members) }), { nil: undefined }),
});

// Late 2026 to early 2027: holidays, the payments team's leave, rotation hand-offs and weekends.
const instantArb = fc.integer({ min: Date.UTC(2026, 10, 1), max: Date.UTC(2027, 1, 1) }).map((ms) => new Date(ms));

describe('snapshot compaction', () => {
  it('decide() decides the same on the compact snapshot as on the full one', () => {
    fc.assert(
      fc.property(taskArb, storeArb, instantArb, (task, store, at) => {
        const base: Snapshot = {
          load: store.load,
          away: store.away,
          ...(store.related ? { related: store.related } : {}),
        };
        const full: Snapshot = { ...base, ...computeScheduleState(tenant, at) };
        const compact: Snapshot = { ...base, ...computeScheduleState(tenant, at, scheduleReads(tenant.compiled)) };
        const a = decide(task, full, tenant.compiled, at);
        const b = decide(task, compact, tenant.compiled, at);
        expect(canonicalJson(b)).toBe(canonicalJson(a));
      }),
      { numRuns: 1_500 },
    );
  });

  it('keeps only what the routes read', () => {
    const reads = scheduleReads(tenant.compiled);
    expect([...reads.clocks]).toEqual(['sre']);
    expect([...reads.teamOpen]).toEqual(['payments']);
    expect([...reads.onCall]).toEqual(['sre']);
    expect(reads.offHours).toBe(true);
    const at = new Date('2026-11-26T10:00:00Z');
    const compact = computeScheduleState(tenant, at, reads);
    expect(Object.keys(compact.clocks ?? {})).toEqual(['sre']);
    expect(JSON.stringify(compact).length).toBeLessThan(JSON.stringify(computeScheduleState(tenant, at)).length);
  });
});
