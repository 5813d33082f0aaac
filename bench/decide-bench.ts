/**
 * Pure decide() throughput, in process: a generated policy (20 routes, 200 members in 10 teams
 * of 20, every team with a two-layer on-call rotation and business hours, members with skills,
 * time zones and working hours) built through parseConfig, varied tasks and snapshots carrying
 * the schedule state the pipeline computes, ~2 s after a warm-up. Computing that schedule state
 * (uncached) is measured separately: the pipeline does it once per tenant per second.
 */
import { stringify } from 'yaml';
import { parseConfig } from '../src/config/load.js';
import type { Tenant } from '../src/config/model.js';
import { decide, type Snapshot, type Task } from '../src/core/index.js';
import { computeScheduleState } from '../src/core/schedule-state.js';
import { round } from './throughput.js';

const TEAMS = 10;
const PER_TEAM = 20;
const WARMUP_MS = 500;
const RUN_MS = 2_000;
const MAX_CALLS = 50_000_000;
const COMPONENTS = Array.from({ length: TEAMS }, (_, i) => `comp-${i}`);
const TIERS = ['free', 'growth', 'business', 'enterprise'];
const TYPES = ['bug', 'incident', 'question', 'task'];
const SKILLS = ['payments', 'kafka', 'postgres', 'k8s', 'frontend', 'billing'];
const ZONES = ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Europe/London', 'America/Los_Angeles'];
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri'];

/** Deterministic PRNG (mulberry32), so runs compare. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const memberId = (i: number) => `m${String(i).padStart(3, '0')}`;

function teamRoute(i: number): Record<string, unknown> {
  const team = `team-${i}`;
  const c = `comp-${i}`;
  switch (i % 5) {
    case 0:
      return {
        name: `t${i}-urgent`,
        when: {
          all: [
            { field: 'labels', contains: c },
            { field: 'priority', lte: 2 },
          ],
        },
        strategy: 'least_loaded',
        teams: [team],
        queueIfNoneEligible: `q-${team}`,
      };
    case 1:
      return {
        name: `t${i}-components`,
        when: { field: 'component', in: [c, `${c}-ui`, `${c}-api`] },
        strategy: 'round_robin',
        teams: [team],
      };
    case 2:
      return {
        name: `t${i}-incidents`,
        when: {
          any: [
            { field: 'labels', contains: `${c}-oncall` },
            { field: 'title', matches: `^(outage|incident): .*${c}` },
          ],
        },
        strategy: 'on_call',
        teams: [team],
      };
    case 3:
      return {
        name: `t${i}-bugs`,
        when: {
          all: [
            { field: 'type', eq: 'bug' },
            { not: { field: 'customerTier', eq: 'free' } },
            { field: 'component', eq: c },
          ],
        },
        strategy: 'skills',
        teams: [team],
        skills: { required: [SKILLS[i % SKILLS.length]], preferred: [SKILLS[(i + 2) % SKILLS.length]], minLevel: 2 },
      };
    default:
      return {
        name: `t${i}-due`,
        when: {
          all: [
            { field: 'dueAt', lte: '2026-12-01T00:00:00Z' },
            { field: 'priority', gte: 3 },
            { field: 'component', eq: c },
            { not: { clock: { team, weekdays: ['sat', 'sun'] } } },
          ],
        },
        strategy: 'skills',
        teams: [team],
        skills: { required: [SKILLS[i % SKILLS.length]], preferred: [SKILLS[(i + 1) % SKILLS.length]] },
        during: 'business_hours',
        excludeOffHours: true,
        escalateTo: memberId(i * PER_TEAM),
      };
  }
}

export function generatePolicyYaml(): string {
  const random = rng(42);
  const members = Array.from({ length: TEAMS * PER_TEAM }, (_, i) => ({
    id: memberId(i),
    capacity: 5 + Math.floor(random() * 16),
    skills: { [SKILLS[i % SKILLS.length] as string]: 1 + (i % 5), [SKILLS[(i + 2) % SKILLS.length] as string]: 3 },
    timezone: ZONES[i % ZONES.length],
    ...(i % 2 ? { workingHours: { days: WEEKDAYS, start: '08:00', end: '18:00' } } : {}),
  }));
  const teams = Array.from({ length: TEAMS }, (_, t) => {
    const ids = Array.from({ length: PER_TEAM }, (_, j) => memberId(t * PER_TEAM + j));
    return {
      id: `team-${t}`,
      members: ids,
      timezone: ZONES[t % ZONES.length],
      businessHours: { days: WEEKDAYS, start: '09:00', end: '17:00', holidays: ['2026-12-25'] },
      onCall: {
        layers: [
          { name: 'primary', members: ids.slice(0, 6), every: 1, unit: 'weeks', handoff: '2026-01-05T09:00' },
          { name: 'secondary', members: ids.slice(6, 12), every: 1, unit: 'days', handoff: '2026-01-05T09:00' },
        ],
        overrides: [{ member: ids[12], covers: ids[0], from: '2026-11-20T00:00:00Z', to: '2026-11-30T00:00:00Z' }],
      },
      escalation: ids[19],
    };
  });
  const routes: Record<string, unknown>[] = [
    { name: 'requested', when: { field: 'requestedAssignee', matches: '.+' }, strategy: 'direct' },
    { name: 'enterprise', when: { field: 'customerTier', eq: 'enterprise' }, strategy: 'direct', assignee: 'm005' },
    ...Array.from({ length: TEAMS }, (_, i) => teamRoute(i)),
    {
      name: 'p1-any',
      when: { field: 'priority', lte: 1 },
      strategy: 'least_loaded',
      teams: ['team-0', 'team-1', 'team-2'],
    },
    {
      name: 'security',
      when: { field: 'labels', in: ['security', 'cve'] },
      strategy: 'least_loaded',
      members: ['m010', 'm050', 'm090', 'm130'],
    },
    {
      name: 'questions',
      when: {
        all: [
          { field: 'type', eq: 'question' },
          { field: 'customerTier', in: ['business', 'growth'] },
        ],
      },
      strategy: 'round_robin',
      teams: ['team-3', 'team-4'],
    },
    { name: 'titles', when: { field: 'title', contains: 'refund' }, strategy: 'direct', assignee: 'm077' },
    { name: 'late', when: { field: 'dueAt', gte: '2027-01-01T00:00:00Z' }, strategy: 'round_robin', teams: ['team-5'] },
    {
      name: 'not-free-bugs',
      when: { all: [{ field: 'type', eq: 'bug' }, { not: { field: 'customerTier', in: ['free'] } }] },
      strategy: 'least_loaded',
      teams: ['team-6', 'team-7'],
    },
    { name: 'ui', when: { field: 'component', matches: '-ui$' }, strategy: 'round_robin', teams: ['team-8', 'team-9'] },
    {
      name: 'low-prio',
      when: { field: 'priority', gte: 4 },
      strategy: 'round_robin',
      members: ['m199', 'm198', 'm197'],
    },
  ];
  const tenant = {
    id: 'bench',
    integrations: [{ id: 'gen', type: 'generic', secrets: [`whsec_${Buffer.alloc(24, 7).toString('base64')}`] }],
    members,
    teams,
    policy: { fallbackQueue: 'triage', routes },
  };
  return stringify({ tenants: [tenant] }, { aliasDuplicateObjects: false });
}

export function generateTasks(n: number): Task[] {
  const random = rng(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  return Array.from({ length: n }, (_, i) => {
    const comp = pick(COMPONENTS);
    const task: Task = {
      externalId: `T-${i}`,
      title: `${pick(['outage', 'incident', 'bug', 'refund request'])}: something on ${comp}`,
      type: pick(TYPES),
      priority: 1 + Math.floor(random() * 5),
      labels: [pick([comp, `${comp}-oncall`, 'security', 'misc', 'docs'])],
      component: pick([comp, `${comp}-ui`, `${comp}-api`, 'other']),
      customerTier: pick(TIERS),
    };
    if (random() < 0.05) task.requestedAssignee = memberId(Math.floor(random() * 200));
    if (random() < 0.3) task.dueAt = pick(['2026-11-30T12:00:00Z', '2027-02-01T00:00:00Z']);
    return task;
  });
}

function generateSnapshots(tenant: Tenant, now: Date, n: number): Snapshot[] {
  const random = rng(99);
  const compiled = tenant.compiled;
  const schedule = computeScheduleState(tenant, now);
  return Array.from({ length: n }, (_, s) => {
    const fullness = s / n; // from empty to nearly full
    const load: Record<string, number> = {};
    const away: Record<string, boolean> = {};
    for (const m of compiled.roster.members.values()) {
      load[m.id] = Math.min(m.capacity, Math.floor(random() * m.capacity * (0.2 + fullness)));
      if (random() < 0.05) away[m.id] = true;
    }
    const turns: Record<string, Record<string, number>> = {};
    for (const r of compiled.routes) {
      if (r.route.strategy !== 'round_robin') continue;
      turns[r.route.name] = Object.fromEntries(r.pool.filter(() => random() < 0.7).map((m, k) => [m, k + 1]));
    }
    return { load, away, turns, ...schedule };
  });
}

export interface DecideResult {
  perSecond: number;
  calls: number;
  seconds: number;
  routes: number;
  members: number;
  teams: number;
  tasks: number;
  snapshots: number;
  outcomes: Record<string, number>;
  strategies: Record<string, number>;
  /** computeScheduleState (rotations, hours, leave for 10 teams and 200 members) uncached, per second. */
  scheduleStatePerSecond: number;
}

export function runDecideBench(log: (msg: string) => void): DecideResult {
  const config = parseConfig(generatePolicyYaml(), 'bench:generated-policy');
  const tenant = config.tenants.get('bench');
  if (!tenant) throw new Error('generated policy has no tenant');
  const compiled = tenant.compiled;
  const tasks = generateTasks(1_024);
  const now = new Date('2026-11-26T12:00:00Z');
  const snapshots = generateSnapshots(tenant, now, 16);
  const outcomes: Record<string, number> = {};
  const strategies: Record<string, number> = {};
  const loop = (ms: number, record: boolean) => {
    const start = performance.now();
    let calls = 0;
    let elapsed = 0;
    while (calls < MAX_CALLS) {
      for (let k = 0; k < 256; k++, calls++) {
        // Each pass over the tasks meets the next snapshot.
        const task = tasks[calls % tasks.length] as Task;
        const snapshot = snapshots[Math.floor(calls / tasks.length) % snapshots.length] as Snapshot;
        const d = decide(task, snapshot, compiled, now);
        if (record) {
          const key = d.route === null ? `${d.outcome}:fallback` : d.outcome;
          outcomes[key] = (outcomes[key] ?? 0) + 1;
          const strategy = d.strategy ?? 'none';
          strategies[strategy] = (strategies[strategy] ?? 0) + 1;
        }
      }
      elapsed = performance.now() - start;
      if (elapsed >= ms) break;
    }
    return { calls, seconds: elapsed / 1000 };
  };
  log(`decide: warm-up ${WARMUP_MS} ms`);
  loop(WARMUP_MS, false);
  log(`decide: ${RUN_MS} ms`);
  const { calls, seconds } = loop(RUN_MS, true);
  log('decide: schedule state, 300 ms');
  const scheduleStart = performance.now();
  let scheduleCalls = 0;
  while (performance.now() - scheduleStart < 300 && scheduleCalls < 100_000) {
    computeScheduleState(tenant, new Date(now.getTime() + scheduleCalls * 1000));
    scheduleCalls++;
  }
  const scheduleStatePerSecond = round(scheduleCalls / ((performance.now() - scheduleStart) / 1000));
  return {
    perSecond: round(calls / seconds),
    calls,
    seconds: round(seconds, 3),
    routes: compiled.routes.length,
    members: compiled.roster.members.size,
    teams: compiled.roster.teams.size,
    tasks: tasks.length,
    snapshots: snapshots.length,
    outcomes,
    strategies,
    scheduleStatePerSecond,
  };
}
