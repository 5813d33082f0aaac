/**
 * How an attempt at outside work (an outbox delivery, a remote function call, an event's
 * processing) says it failed. RetryableError: try again later (never before `retryAfterMs`,
 * when the other side said so). PermanentError: retrying cannot help; the work goes to the
 * dead letters (or ends) at once. Anything else thrown counts as retryable.
 */
export class RetryableError extends Error {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: { retryAfterMs?: number } = {}) {
    super(message);
    this.name = 'RetryableError';
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** `reason` (the message) is what a dead letter stores. */
export class PermanentError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'PermanentError';
  }
}
