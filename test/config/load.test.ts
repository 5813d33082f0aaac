/**
 * The config loader: the demo loads, and every kind of mistake is reported with its JSON
 * pointer and the line of the offending YAML node.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigProblem } from '../../src/config/config-error.js';
import { loadConfigFile, parseConfig } from '../../src/config/load.js';
import { decide } from '../../src/core/index.js';
import { SECRETS } from '../support/secrets.js';

const SECRET = SECRETS.demo;
const b64 = (bytes: number) => Buffer.alloc(bytes, 7).toString('base64');
/** A `${env:NAME}` reference as written in the YAML. */
const ref = (name: string) => `\${env:${name}}`;

const BASE = `tenants:
  - id: acme
    name: Acme
    integrations:
      - id: tickets
        type: generic
        secrets:
          - ${SECRET}
        transform: '{ "externalId": data.key, "title": data.summary }'
    members:
      - id: alice
        capacity: 3
      - id: bob
        capacity: 2
      - { id: carol, capacity: 4 }
    teams:
      - id: payments
        members: [alice, bob]
    policy:
      fallbackQueue: triage
      routes:
        - name: requested
          when: { field: requestedAssignee, matches: ".+" }
          strategy: direct
        - name: pay
          when:
            all:
              - { field: labels, contains: payments }
              - { field: priority, lte: 2 }
          strategy: least_loaded
          teams: [payments]
          members: [carol]
          queueIfNoneEligible: backlog
`;

/** BASE with each [from, to] replacement applied (each `from` must occur). */
function edit(...pairs: [string, string][]): string {
  return pairs.reduce((text, [from, to]) => {
    expect(text, `fixture contains ${from}`).toContain(from);
    return text.replace(from, to);
  }, BASE);
}

/** 1-based line of the first line containing `needle` (after `after`, when given). */
function lineOf(text: string, needle: string, after?: string): number {
  const lines = text.split('\n');
  const start = after === undefined ? 0 : lines.findIndex((l) => l.includes(after)) + 1;
  const i = lines.findIndex((l, n) => n >= start && l.includes(needle));
  expect(i, `fixture line containing ${needle}`).toBeGreaterThanOrEqual(0);
  return i + 1;
}

function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): ConfigProblem[] {
  try {
    parseConfig(text, 'test.yaml', env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('expected the config to be rejected');
}

/** The one problem reported, checked for pointer, line and message. */
function expectProblem(text: string, pointer: string, line: number, message: string | RegExp) {
  const problems = problemsOf(text);
  expect(problems, JSON.stringify(problems)).toHaveLength(1);
  expect(problems[0]).toMatchObject({ pointer, line, message: expect.stringMatching(message) });
}

describe('loading a valid config', () => {
  it('loads examples/demo.yaml with its tenant, integration, members, teams and policy', async () => {
    const config = loadConfigFile('examples/demo.yaml', {});
    expect(config.source).toBe('examples/demo.yaml');
    expect([...config.tenants.keys()]).toEqual(['acme']);
    const acme = config.tenants.get('acme')!;
    expect(acme.name).toBe('Acme Corp');
    expect([...acme.integrations.keys()]).toEqual(['tickets']);
    const tickets = acme.integrations.get('tickets')!;
    expect(tickets.secrets).toEqual([{ key: Buffer.from('switchyard-demo-secret-001') }]);
    expect(tickets.dedupePath).toBeUndefined();
    const task: unknown = await tickets.transform!.evaluate({
      data: { key: 'PAY-7', summary: 'Refund failed', severity: 'high', tags: ['payments'], customer: { tier: 'pro' } },
    });
    // JSON round trip: JSONata marks its result arrays with a `sequence` flag.
    expect(JSON.parse(JSON.stringify(task))).toEqual({
      externalId: 'PAY-7',
      title: 'Refund failed',
      priority: 2,
      labels: ['payments'],
      customerTier: 'pro',
    });

    expect([...acme.roster.members.values()].map((m) => [m.id, m.capacity])).toEqual([
      ['alice', 3],
      ['bob', 3],
      ['carol', 4],
      ['dave', 2],
      ['erin', 5],
    ]);
    expect(acme.roster.members.get('alice')).toMatchObject({ name: 'Alice Moreau', skills: { payments: 3 } });
    expect(acme.roster.members.get('dave')?.handles).toEqual({});
    expect(acme.roster.teams.get('platform')?.members).toEqual(['carol', 'dave']);
    expect(acme.policy.fallbackQueue).toBe('triage');
    expect(acme.policy.routes.map((r) => [r.name, r.strategy])).toEqual([
      ['requested', 'direct'],
      ['enterprise', 'direct'],
      ['payments-urgent', 'least_loaded'],
      ['payments', 'round_robin'],
      ['platform', 'round_robin'],
    ]);
    expect(acme.policy.version).toMatch(/^pv_[0-9a-f]{16}$/);
    expect(acme.compiled.routes.map((r) => r.pool)).toEqual([
      [],
      [],
      ['alice', 'bob'],
      ['alice', 'bob'],
      ['carol', 'dave'],
    ]);

    const d = decide(
      { externalId: 'PAY-7', title: 'Refund failed', priority: 1, labels: ['payments'] },
      { load: { alice: 2, bob: 1 }, away: {}, cursors: {} },
      acme.compiled,
      new Date('2024-06-01T00:00:00Z'),
    );
    expect(d).toMatchObject({ assignee: 'bob', route: 'payments-urgent', policyVersion: acme.policy.version });
  });

  it('applies schema defaults (capacity 10) and defaults name to the id', () => {
    const config = parseConfig(edit(['      - id: bob\n        capacity: 2\n', '      - id: bob\n']), 'x', {});
    expect(config.tenants.get('acme')?.roster.members.get('bob')).toMatchObject({ name: 'bob', capacity: 10 });
  });

  it('a file that cannot be read is a ConfigError naming the file', () => {
    expect(() => loadConfigFile('examples/no-such-file.yaml', {})).toThrow(
      /invalid config examples\/no-such-file\.yaml/,
    );
  });
});

describe('each kind of problem is reported with its pointer and line', () => {
  it('a YAML syntax error: duplicate key, bad indentation', () => {
    const dup = edit(['        capacity: 3\n', '        capacity: 3\n        capacity: 4\n']);
    expectProblem(dup, '', lineOf(dup, 'capacity: 4'), /Map keys must be unique/);
    const indent = edit(['      - id: bob\n        capacity: 2', '      - id: bob\n       capacity: 2']);
    const problems = problemsOf(indent);
    expect(problems.length).toBeGreaterThanOrEqual(1);
    expect(problems[0]).toMatchObject({ pointer: '', line: lineOf(indent, 'capacity: 2') });
  });

  it('an unknown key', () => {
    const text = edit(['        capacity: 3', '        capacty: 3']);
    expectProblem(text, '/tenants/0/members/0/capacty', lineOf(text, 'capacty'), 'unknown key "capacty"');
  });

  it('a value of the wrong type', () => {
    const text = edit(['        capacity: 2', '        capacity: lots']);
    expectProblem(text, '/tenants/0/members/1/capacity', lineOf(text, 'lots'), 'must be integer');
  });

  it('a missing required key points at the object that lacks it', () => {
    const text = edit(['      - id: bob\n', '      - name: Bob\n']);
    expectProblem(text, '/tenants/0/members/1', lineOf(text, 'name: Bob'), 'missing required key "id"');
  });

  it('a duplicate member id points at the second one', () => {
    const text = edit(['{ id: carol, capacity: 4 }', '{ id: carol, capacity: 4 }\n      - { id: bob, capacity: 1 }']);
    expectProblem(text, '/tenants/0/members/3/id', lineOf(text, '{ id: bob'), 'duplicate id "bob"');
  });

  it('a team naming an unknown member', () => {
    const text = edit(['members: [alice, bob]', 'members: [alice, zed]']);
    expectProblem(text, '/tenants/0/teams/0/members/1', lineOf(text, 'zed'), 'unknown member "zed"');
  });

  it('a route naming an unknown team, member or assignee', () => {
    const text = edit(
      ['          teams: [payments]', '          teams: [payments, billing]'],
      ['          members: [carol]', '          members: [carol, zed]'],
      ['          strategy: direct', '          strategy: direct\n          assignee: yves'],
    );
    const problems = problemsOf(text);
    expect(problems).toEqual([
      {
        pointer: '/tenants/0/policy/routes/0/assignee',
        line: lineOf(text, 'yves'),
        column: 21,
        message: 'unknown member "yves"',
      },
      expect.objectContaining({ pointer: '/tenants/0/policy/routes/1/teams/1', message: 'unknown team "billing"' }),
      expect.objectContaining({ pointer: '/tenants/0/policy/routes/1/members/1', message: 'unknown member "zed"' }),
    ]);
    expect(problems[1]?.line).toBe(lineOf(text, 'billing'));
    expect(problems[2]?.line).toBe(lineOf(text, 'zed'));
  });

  describe('a bad `when` condition', () => {
    const routes = '/tenants/0/policy/routes';
    it('an unknown task field', () => {
      const text = edit(['{ field: priority, lte: 2 }', '{ field: severity, lte: 2 }']);
      expectProblem(text, `${routes}/1/when/all/1/field`, lineOf(text, 'severity'), /unknown task field "severity"/);
    });
    it('two operators in one condition', () => {
      const text = edit(['{ field: priority, lte: 2 }', '{ field: priority, lte: 2, gte: 1 }']);
      expectProblem(text, `${routes}/1/when/all/1`, lineOf(text, 'gte: 1'), /exactly one operator .* found 2/);
    });
    it('an unknown operator', () => {
      const text = edit(['{ field: labels, contains: payments }', '{ field: labels, has: payments }']);
      expectProblem(text, `${routes}/1/when/all/0/has`, lineOf(text, 'has:'), /unknown operator/);
    });
    it('an invalid regular expression', () => {
      const text = edit(['matches: ".+"', 'matches: "(unclosed"']);
      expectProblem(text, `${routes}/0/when/matches`, lineOf(text, 'unclosed'), /invalid regular expression/);
    });
    it('a `not` with a sibling key, and an empty `any`', () => {
      const from = 'when: { field: requestedAssignee, matches: ".+" }';
      const not = edit([from, 'when: { not: { field: type, eq: bug }, field: type }']);
      expectProblem(not, `${routes}/0/when`, lineOf(not, 'not:'), '"not" must be the only key of its condition');
      const any = edit([from, 'when: { any: [] }']);
      expectProblem(any, `${routes}/0/when/any`, lineOf(any, 'any: []'), '"any" needs a non-empty list');
    });
  });

  it('a JSONata transform that does not compile', () => {
    const text = edit(['data.summary }', 'data.summary, }']);
    expectProblem(text, '/tenants/0/integrations/0/transform', lineOf(text, 'transform:'), /JSONata does not compile/);
  });

  it('secrets that are not whsec_ + base64 of at least 16 bytes', () => {
    const text = edit([
      `          - ${SECRET}`,
      [
        `          - whsec_${b64(15)}`,
        `          - ${b64(32)}`,
        '          - whsec_not*base64*at*all*!',
        `          - value: whsec_${b64(8)}\n            expiresAt: 2030-01-01T00:00:00Z`,
        `          - whsec_${b64(16)}`,
      ].join('\n'),
    ]);
    const problems = problemsOf(text);
    const at = '/tenants/0/integrations/0/secrets';
    expect(problems.map((p) => [p.pointer, p.line])).toEqual([
      [`${at}/0`, lineOf(text, b64(15))],
      [`${at}/1`, lineOf(text, `- ${b64(32)}`)],
      [`${at}/2`, lineOf(text, 'not*base64')],
      [`${at}/3/value`, lineOf(text, 'value: whsec_')],
    ]);
    for (const p of problems) expect(p.message).toMatch(/whsec_ followed by at least 16 base64-encoded bytes/);
  });

  it('an env reference that is unset or empty', () => {
    const text = edit([
      `          - ${SECRET}`,
      `          - ${ref('TICKETS_SECRET')}\n          - ${ref('EMPTY_SECRET')}`,
    ]);
    const problems = problemsOf(text, { EMPTY_SECRET: '' });
    expect(problems).toEqual([
      expect.objectContaining({
        pointer: '/tenants/0/integrations/0/secrets/0',
        line: lineOf(text, 'TICKETS_SECRET'),
        message: 'environment variable TICKETS_SECRET is not set',
      }),
      expect.objectContaining({ pointer: '/tenants/0/integrations/0/secrets/1', line: lineOf(text, 'EMPTY_SECRET') }),
    ]);
  });

  it('several problems in one file are all reported, each at its own line', () => {
    const text = edit(
      ['{ id: carol, capacity: 4 }', '{ id: carol, capacity: 4 }\n      - { id: bob, capacity: 1 }'],
      ['matches: ".+"', 'matches: "["'],
      ['          teams: [payments]', '          teams: [billing]'],
      [`          - ${SECRET}`, '          - whsec_c2hvcnQ='],
    );
    const problems = problemsOf(text);
    expect(problems.map((p) => [p.pointer, p.line])).toEqual([
      ['/tenants/0/members/3/id', lineOf(text, '{ id: bob')],
      ['/tenants/0/policy/routes/0/when/matches', lineOf(text, 'matches: "["')],
      ['/tenants/0/policy/routes/1/teams/0', lineOf(text, 'billing')],
      ['/tenants/0/integrations/0/secrets/0', lineOf(text, 'c2hvcnQ=')],
    ]);
    const schema = edit(['        capacity: 3', '        capacity: lots'], ['    name: Acme', '    nmae: Acme']);
    expect(problemsOf(schema).map((p) => [p.pointer, p.line])).toEqual([
      ['/tenants/0/nmae', lineOf(schema, 'nmae')],
      ['/tenants/0/members/0/capacity', lineOf(schema, 'lots')],
    ]);
  });

  it('the error message lists each problem as file:line:column pointer: message', () => {
    const text = edit(['        capacity: 2', '        capacity: lots']);
    expect(() => parseConfig(text, 'conf/acme.yaml', {})).toThrow(
      `conf/acme.yaml:${lineOf(text, 'lots')}:19 /tenants/0/members/1/capacity: must be integer`,
    );
  });
});

describe('environment references, policy versions and secrets', () => {
  it('substitutes env references from the env passed in, anywhere in a string', () => {
    const text = edit(
      [`          - ${SECRET}`, `          - whsec_${ref('TICKETS_KEY')}`],
      ['    name: Acme', `    name: Acme ${ref('REGION')}`],
    );
    const acme = parseConfig(text, 'x', { TICKETS_KEY: b64(24), REGION: 'EU' }).tenants.get('acme')!;
    expect(acme.name).toBe('Acme EU');
    expect(acme.integrations.get('tickets')?.secrets).toEqual([{ key: Buffer.alloc(24, 7) }]);
  });

  it('the policy version is stable for the same content, however it is written', () => {
    const version = (text: string) => parseConfig(text, 'x', {}).tenants.get('acme')!.policy.version;
    const v = version(BASE);
    expect(version(BASE)).toBe(v);
    const reformatted = edit(
      ['      - id: alice\n        capacity: 3', '      - { capacity: 3, id: alice }'],
      ['      fallbackQueue: triage\n      routes:', '      routes:'],
      [
        '          queueIfNoneEligible: backlog\n',
        '          queueIfNoneEligible: backlog\n      fallbackQueue: triage\n',
      ],
    );
    expect(version(reformatted)).toBe(v);
    // Integrations are not part of the policy: rotating a secret keeps the version.
    expect(version(edit([SECRET, `whsec_${b64(20)}`]))).toBe(v);
  });

  it('the policy version changes when a route, the roster or the fallback queue changes', () => {
    const version = (text: string) => parseConfig(text, 'x', {}).tenants.get('acme')!.policy.version;
    const v = version(BASE);
    const changed = [
      edit(['          strategy: least_loaded', '          strategy: round_robin']),
      edit(['{ field: priority, lte: 2 }', '{ field: priority, lte: 3 }']),
      edit(['          members: [carol]\n', '']),
      edit(['        capacity: 3', '        capacity: 4']),
      edit(['fallbackQueue: triage', 'fallbackQueue: inbox']),
    ].map(version);
    for (const w of changed) expect(w).not.toBe(v);
    expect(new Set(changed).size).toBe(changed.length);
  });

  it('parses secrets with expiresAt into epoch milliseconds', () => {
    const text = edit([
      `          - ${SECRET}`,
      `          - value: ${SECRET}\n            expiresAt: 2030-01-01T00:00:00+01:00\n          - whsec_${b64(16)}`,
    ]);
    const secrets = parseConfig(text, 'x', {}).tenants.get('acme')!.integrations.get('tickets')!.secrets;
    expect(secrets).toEqual([
      { key: Buffer.from('switchyard-demo-secret-001'), expiresAt: Date.parse('2029-12-31T23:00:00Z') },
      { key: Buffer.alloc(16, 7) },
    ]);
    const bad = edit([`          - ${SECRET}`, `          - value: ${SECRET}\n            expiresAt: next tuesday`]);
    expect(problemsOf(bad)).toContainEqual(
      expect.objectContaining({
        pointer: '/tenants/0/integrations/0/secrets/0/expiresAt',
        line: lineOf(bad, 'next tuesday'),
        message: 'must match format "date-time"',
      }),
    );
  });
});
