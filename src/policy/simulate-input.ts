/** Checks on what a person passes to simulation and replay: the time window. */

/** RFC 3339 date-time: `2026-11-26T09:00:00Z`, `2026-11-26T10:00:00.250+01:00`. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export class WindowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WindowError';
  }
}

/** An RFC 3339 instant as the store writes times (UTC, milliseconds), or a WindowError naming `what`. */
export function parseInstant(value: string, what: string): string {
  const ms = RFC3339.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms))
    throw new WindowError(`${what} must be an RFC 3339 time such as 2026-11-26T09:00:00Z (got "${value}")`);
  return new Date(ms).toISOString();
}

/** [from, to) as stored times; either end may be open. */
export function parseWindow(from: string | undefined, to: string | undefined): { from?: string; to?: string } {
  const window = {
    ...(from !== undefined ? { from: parseInstant(from, 'from') } : {}),
    ...(to !== undefined ? { to: parseInstant(to, 'to') } : {}),
  };
  if (window.from !== undefined && window.to !== undefined && window.from > window.to) {
    throw new WindowError(`from (${from}) is after to (${to})`);
  }
  return window;
}
