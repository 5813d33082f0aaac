/** The circuit breaker's logic, with an injected clock. */
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../src/reliability/circuit-breaker.js';

describe('circuit breaker', () => {
  const make = () => {
    let now = 0;
    const changes: [string, boolean][] = [];
    const b = new CircuitBreaker(
      { failureThreshold: 3, coolDownMs: 1000 },
      () => now,
      (k, p) => changes.push([k, p]),
    );
    return { b, changes, advance: (ms: number) => (now += ms), at: () => now };
  };

  it('pauses after N consecutive transient failures, per target; a success in between resets the count', () => {
    const { b, changes } = make();
    b.record('webhook:a', 'failure');
    b.record('webhook:a', 'failure');
    b.record('webhook:a', 'success');
    b.record('webhook:a', 'failure');
    b.record('webhook:a', 'failure');
    b.record('webhook:a', 'neutral');
    expect(b.admit('webhook:a')).toEqual({ allowed: true, trial: false });
    b.record('webhook:a', 'failure');
    expect(b.admit('webhook:a')).toEqual({ allowed: false, retryAt: 1000 });
    expect(b.admit('webhook:b')).toEqual({ allowed: true, trial: false });
    expect(b.pausedTargets()).toEqual(['webhook:a']);
    expect(changes).toEqual([['webhook:a', true]]);
  });

  it('after the cool-down lets one trial through: success closes, failure re-opens', () => {
    const { b, changes, advance, at } = make();
    for (let i = 0; i < 3; i++) b.record('slack', 'failure');
    advance(999);
    expect(b.admit('slack').allowed).toBe(false);
    advance(1);
    expect(b.admit('slack')).toEqual({ allowed: true, trial: true });
    const other = b.admit('slack'); // while the trial is in flight
    expect(other.allowed).toBe(false);
    b.record('slack', 'failure');
    expect(b.admit('slack')).toEqual({ allowed: false, retryAt: at() + 1000 });
    advance(1000);
    expect(b.admit('slack')).toEqual({ allowed: true, trial: true });
    b.record('slack', 'success');
    expect(b.isPaused('slack')).toBe(false);
    expect(b.admit('slack')).toEqual({ allowed: true, trial: false });
    expect(changes).toEqual([
      ['slack', true],
      ['slack', false],
    ]);
  });

  it('a trial that says nothing (worker stopped) lets the next attempt be the trial', () => {
    const { b, advance } = make();
    for (let i = 0; i < 3; i++) b.record('jira', 'failure');
    advance(1000);
    expect(b.admit('jira')).toMatchObject({ trial: true });
    b.record('jira', 'neutral');
    expect(b.admit('jira')).toMatchObject({ allowed: true, trial: true });
  });

  it('failures of attempts started before the pause do not extend it', () => {
    const { b, advance } = make();
    for (let i = 0; i < 5; i++) b.record('github', 'failure');
    advance(1000);
    expect(b.admit('github')).toMatchObject({ trial: true });
  });
});
