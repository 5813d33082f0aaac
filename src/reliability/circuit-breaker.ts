/**
 * A circuit breaker per outbox target (`webhook:<subscription id>`, `slack`, `jira`…). Pure
 * logic: the clock is passed in. After `failureThreshold` consecutive transient failures the
 * target is paused (open) for `coolDownMs`; then one trial attempt is let through (half-open):
 * a success closes the breaker, a failure opens it again for another cool-down. Rows of a
 * paused target are not attempted at all (the worker puts them back, due when the pause ends).
 * State lives in the worker's memory: each process has its own breakers.
 */
export interface BreakerOptions {
  /** Consecutive transient failures that pause a target (default 5). */
  failureThreshold: number;
  /** How long a paused target waits before one trial attempt (default 30 s). */
  coolDownMs: number;
}

export const DEFAULT_BREAKER: BreakerOptions = { failureThreshold: 5, coolDownMs: 30_000 };

/** While a trial is in flight, the target's other rows are put back for this long (at most the cool-down). */
const HALF_OPEN_RECHECK_MS = 1_000;

type State =
  | { kind: 'closed'; failures: number }
  | { kind: 'open'; until: number }
  | { kind: 'half-open' /* one trial in flight */ };

export type Admission = { allowed: true; trial: boolean } | { allowed: false; retryAt: number };

/** How an attempt ended, for the breaker: `neutral` (the worker stopped, the store failed…) says nothing about the target. */
export type AttemptOutcome = 'success' | 'failure' | 'neutral';

export class CircuitBreaker {
  private readonly states = new Map<string, State>();
  private readonly o: BreakerOptions;

  constructor(
    options: Partial<BreakerOptions> = {},
    private readonly now: () => number = Date.now,
    /** Called when a target becomes paused (true) or is closed again (false). */
    private readonly onChange: (key: string, paused: boolean) => void = () => {},
  ) {
    this.o = { ...DEFAULT_BREAKER, ...options };
  }

  /** May an attempt for `key` start now? A `trial` must be followed by record(). */
  admit(key: string): Admission {
    const s = this.states.get(key);
    if (!s || s.kind === 'closed') return { allowed: true, trial: false };
    const now = this.now();
    if (s.kind === 'open') {
      if (now < s.until) return { allowed: false, retryAt: s.until };
      this.states.set(key, { kind: 'half-open' });
      return { allowed: true, trial: true };
    }
    return { allowed: false, retryAt: now + Math.min(HALF_OPEN_RECHECK_MS, this.o.coolDownMs) };
  }

  record(key: string, outcome: AttemptOutcome): void {
    const s = this.states.get(key) ?? { kind: 'closed', failures: 0 };
    if (outcome === 'success') {
      this.states.delete(key);
      if (s.kind !== 'closed') this.onChange(key, false);
      return;
    }
    if (outcome === 'neutral') {
      // A trial that told us nothing: the next admit() lets another one through.
      if (s.kind === 'half-open') this.states.set(key, { kind: 'open', until: this.now() });
      return;
    }
    if (s.kind === 'open') return; // an attempt started before the pause: already counted in
    if (s.kind === 'half-open') {
      this.states.set(key, { kind: 'open', until: this.now() + this.o.coolDownMs });
      return;
    }
    const failures = s.failures + 1;
    if (failures >= this.o.failureThreshold) {
      this.states.set(key, { kind: 'open', until: this.now() + this.o.coolDownMs });
      this.onChange(key, true);
    } else this.states.set(key, { kind: 'closed', failures });
  }

  isPaused(key: string): boolean {
    const s = this.states.get(key);
    return s !== undefined && s.kind !== 'closed';
  }

  /** Targets currently paused (open, or half-open with a trial in flight). */
  pausedTargets(): string[] {
    return [...this.states].filter(([, s]) => s.kind !== 'closed').map(([k]) => k);
  }
}
