/**
 * A function's answer is checked against its output schema first, then against the shape its
 * kind promises; accepted answers come back normalised, rejected ones with one readable line
 * that names the kind and what was wrong.
 */
import { describe, expect, it } from 'vitest';
import { checkOutputSchema, validateOutput } from '../src/functions/validate-output.js';

const members = new Set(['m1', 'm2', 'm3']);

describe('decide', () => {
  it('accepts assignee, queue, abstain and null (as abstain), with an optional reason', () => {
    expect(validateOutput('decide', { assignee: 'm1' }, { memberIds: members })).toEqual({
      ok: true,
      value: { assignee: 'm1' },
    });
    expect(validateOutput('decide', { queue: 'triage', reason: 'no expert on shift' })).toEqual({
      ok: true,
      value: { queue: 'triage', reason: 'no expert on shift' },
    });
    expect(validateOutput('decide', { abstain: true })).toEqual({ ok: true, value: { abstain: true } });
    expect(validateOutput('decide', null)).toEqual({ ok: true, value: { abstain: true } });
    // Without memberIds any id is accepted (the caller checks later).
    expect(validateOutput('decide', { assignee: 'm9' })).toEqual({ ok: true, value: { assignee: 'm9' } });
  });

  it.each([
    [{ assignee: 'm9' }, 'decide: assignee "m9" is not a known member'],
    [{ assignee: '' }, 'decide: "assignee" must be a non-empty member id of at most 200 characters'],
    [{ assignee: 7 }, 'decide: "assignee" must be a non-empty member id of at most 200 characters'],
    [{ queue: '' }, 'decide: "queue" must be a non-empty string of at most 200 characters'],
    [{ queue: 'q'.repeat(201) }, 'decide: "queue" must be a non-empty string of at most 200 characters'],
    [{ abstain: false }, 'decide: "abstain" must be true (to decide, give assignee or queue)'],
    [
      { assignee: 'm1', queue: 'triage' },
      'decide: give only one of assignee, queue or abstain, not assignee and queue',
    ],
    [{}, 'decide: expected one of assignee, queue or abstain'],
    [{ reason: 'just because' }, 'decide: expected one of assignee, queue or abstain'],
    [{ assignee: 'm1', score: 3 }, 'decide: unknown key "score" (allowed: assignee, queue, abstain, reason)'],
    [{ assignee: 'm1', reason: 5 }, 'decide: "reason" must be a string of at most 1000 characters'],
    ['m1', 'decide: expected { assignee }, { queue }, { abstain: true } or null, got a string'],
    [['m1'], 'decide: expected { assignee }, { queue }, { abstain: true } or null, got an array'],
    [undefined, 'decide: expected { assignee }, { queue }, { abstain: true } or null, got nothing'],
  ])('rejects %j', (value, error) => {
    expect(validateOutput('decide', value, { memberIds: members })).toEqual({ ok: false, error });
  });

  it('keeps a hostile id on one line', () => {
    const r = validateOutput('decide', { assignee: 'm1\nInjected: yes' }, { memberIds: members });
    expect(r).toEqual({ ok: false, error: 'decide: assignee "m1\\nInjected: yes" is not a known member' });
  });
});

describe('score', () => {
  const ctx = { candidateIds: ['m1', 'm2', 'm3'] };

  it('accepts finite scores for candidates; a candidate left out is simply not scored', () => {
    expect(validateOutput('score', { scores: { m1: 3, m2: -1.5 } }, ctx)).toEqual({
      ok: true,
      value: { scores: { m1: 3, m2: -1.5 } },
    });
    expect(validateOutput('score', { scores: {}, reason: 'nobody fits' }, ctx)).toEqual({
      ok: true,
      value: { scores: {}, reason: 'nobody fits' },
    });
  });

  it('does not let a "__proto__" key reach the prototype', () => {
    const value = JSON.parse('{"scores":{"__proto__":1}}');
    const r = validateOutput('score', value, { candidateIds: ['__proto__'] });
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(Object.keys(r.value.scores)).toEqual(['__proto__']);
      expect(Object.getPrototypeOf(r.value.scores)).toBe(Object.prototype);
    }
  });

  it.each([
    [{ scores: { m9: 1 } }, 'score: "scores.m9" is not a candidate'],
    [{ scores: { m1: '3' } }, 'score: "scores.m1" must be a finite number, got a string'],
    [{ scores: { m1: Number.NaN } }, 'score: "scores.m1" must be a finite number, got NaN'],
    [{ scores: { m1: Number.POSITIVE_INFINITY } }, 'score: "scores.m1" must be a finite number, got Infinity'],
    [{ scores: { m1: null } }, 'score: "scores.m1" must be a finite number, got null'],
    [{ scores: [1, 2] }, 'score: "scores" must be an object of member id → number, got an array'],
    [{}, 'score: "scores" must be an object of member id → number, got nothing'],
    [{ scores: {}, best: 'm1' }, 'score: unknown key "best" (allowed: scores, reason)'],
    [{ m1: 3 }, 'score: unknown key "m1" (allowed: scores, reason)'],
    [42, 'score: expected { scores: { <member id>: number } }, got a number'],
  ])('rejects %j', (value, error) => {
    expect(validateOutput('score', value, ctx)).toEqual({ ok: false, error });
  });
});

describe('transform and match', () => {
  it('transform: any plain object (the caller checks the Task shape)', () => {
    expect(validateOutput('transform', { externalId: 'A-1', title: 'x' })).toEqual({
      ok: true,
      value: { externalId: 'A-1', title: 'x' },
    });
    expect(validateOutput('transform', [])).toEqual({
      ok: false,
      error: 'transform: expected an object of Task fields, got an array',
    });
    expect(validateOutput('transform', null)).toEqual({
      ok: false,
      error: 'transform: expected an object of Task fields, got null',
    });
    expect(validateOutput('transform', new Date(0)).ok).toBe(false);
  });

  it('match: a boolean only', () => {
    expect(validateOutput('match', true)).toEqual({ ok: true, value: true });
    expect(validateOutput('match', false)).toEqual({ ok: true, value: false });
    expect(validateOutput('match', 1)).toEqual({ ok: false, error: 'match: expected true or false, got a number' });
    expect(validateOutput('match', 'true')).toEqual({
      ok: false,
      error: 'match: expected true or false, got a string',
    });
  });
});

describe('output schema', () => {
  const schema = {
    type: 'object',
    properties: { scores: { type: 'object', additionalProperties: { type: 'number', minimum: 0, maximum: 10 } } },
    required: ['scores'],
  };

  it('is checked before the kind, with a readable path', () => {
    expect(validateOutput('score', { scores: { m1: 4 } }, { candidateIds: ['m1'] }, schema)).toEqual({
      ok: true,
      value: { scores: { m1: 4 } },
    });
    expect(validateOutput('score', { scores: { m1: 11 } }, { candidateIds: ['m1'] }, schema)).toEqual({
      ok: false,
      error: 'score: output schema: "scores.m1" must be <= 10',
    });
    // Schema first: the unknown candidate would also fail the kind check, but the schema speaks first.
    expect(validateOutput('score', { scores: { m9: -1 } }, { candidateIds: ['m1'] }, schema)).toEqual({
      ok: false,
      error: 'score: output schema: "scores.m9" must be >= 0',
    });
    expect(validateOutput('score', {}, {}, schema)).toEqual({
      ok: false,
      error: "score: output schema: the answer must have required property 'scores'",
    });
  });

  it('names an additional property and supports formats', () => {
    const strict = { type: 'object', properties: { queue: { type: 'string' } }, additionalProperties: false };
    expect(validateOutput('decide', { queue: 'q', extra: 1 }, {}, strict)).toEqual({
      ok: false,
      error: 'decide: output schema: the answer must NOT have additional properties ("extra")',
    });
    const dated = { type: 'object', properties: { dueAt: { type: 'string', format: 'date-time' } } };
    expect(validateOutput('transform', { dueAt: '2025-06-02T10:00:00Z' }, {}, dated).ok).toBe(true);
    expect(validateOutput('transform', { dueAt: 'tomorrow' }, {}, dated)).toEqual({
      ok: false,
      error: 'transform: output schema: "dueAt" must match format "date-time"',
    });
  });

  it('is compiled once per schema object and reused', () => {
    const s = { type: 'boolean' };
    for (let i = 0; i < 3; i++) expect(validateOutput('match', true, {}, s).ok).toBe(true);
    expect(validateOutput('match', 'yes', {}, s)).toEqual({
      ok: false,
      error: 'match: output schema: the answer must be boolean',
    });
  });

  it('two schemas with the same $id do not collide', () => {
    const a = { $id: 'https://acme.example/out.json', type: 'boolean' };
    const b = { $id: 'https://acme.example/out.json', type: 'object' };
    expect(validateOutput('match', true, {}, a).ok).toBe(true);
    expect(validateOutput('transform', {}, {}, b).ok).toBe(true);
  });

  it('an invalid schema is caught at upload', () => {
    expect(checkOutputSchema(schema)).toEqual([]);
    expect(checkOutputSchema({ type: 'objekt' })).not.toEqual([]);
    expect(checkOutputSchema({ type: 'object', requried: ['scores'] })).toEqual([
      'outputSchema: strict mode: unknown keyword: "requried"',
    ]);
    expect(checkOutputSchema({ type: 'string', format: 'no-such-format' })[0]).toMatch(
      /unknown format "no-such-format"/,
    );
    expect(checkOutputSchema({ $ref: '#/definitions/missing' })[0]).toMatch(/can't resolve reference/);
    expect(checkOutputSchema([])).toEqual(['outputSchema must be a JSON Schema object']);
    expect(checkOutputSchema('{"type":"object"}')).toEqual(['outputSchema must be a JSON Schema object']);
  });

  it('an invalid schema that reaches run time fails the call with a clear line', () => {
    const r = validateOutput('match', true, {}, { type: 'boolean', requried: [] });
    expect(r).toEqual({
      ok: false,
      error: 'match: output schema is invalid: strict mode: unknown keyword: "requried"',
    });
  });
});
