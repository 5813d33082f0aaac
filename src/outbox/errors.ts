/**
 * How a target says an attempt failed. RetryableError: try again later (never before
 * `retryAfterMs`, when the receiver said so). PermanentError: retrying cannot help; the row
 * goes to the dead letters at once. Anything else a target throws counts as retryable.
 */
export class RetryableError extends Error {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: { retryAfterMs?: number } = {}) {
    super(message);
    this.name = 'RetryableError';
    this.retryAfterMs = options.retryAfterMs;
  }
}

export class PermanentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentError';
  }
}
