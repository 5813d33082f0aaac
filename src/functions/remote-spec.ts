/**
 * What a remote function's declaration may say: checked when a version is uploaded, and again
 * before each call (a stored version is never trusted to have been checked).
 */

export const REMOTE_LIMITS = {
  timeoutMs: { min: 1, max: 30_000 },
  retries: { min: 0, max: 5 },
  urlLength: 2_000,
} as const;

/** The problems with a remote spec, one user-readable line each; empty when it is fine. */
export function checkRemoteSpec(spec: unknown): string[] {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
    return ['remote must be an object with url, timeoutMs and retries'];
  const { url, timeoutMs, retries } = spec as Record<string, unknown>;
  const problems: string[] = [];

  if (typeof url !== 'string' || url.length === 0) problems.push('remote.url must be a non-empty string');
  else if (url.length > REMOTE_LIMITS.urlLength)
    problems.push(`remote.url must be at most ${REMOTE_LIMITS.urlLength} characters`);
  else {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      problems.push(`remote.url ${JSON.stringify(url.slice(0, 200))} is not a valid URL`);
    }
    if (parsed && parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      problems.push(`remote.url must use http: or https:, not ${parsed.protocol}`);
    else if (parsed && (parsed.username || parsed.password))
      problems.push('remote.url must not carry a user name or password (the request is signed instead)');
  }

  const { timeoutMs: t, retries: r } = REMOTE_LIMITS;
  if (!Number.isInteger(timeoutMs) || (timeoutMs as number) < t.min || (timeoutMs as number) > t.max)
    problems.push(`remote.timeoutMs must be an integer from ${t.min} to ${t.max}`);
  if (!Number.isInteger(retries) || (retries as number) < r.min || (retries as number) > r.max)
    problems.push(`remote.retries must be an integer from ${r.min} to ${r.max}`);
  return problems;
}
