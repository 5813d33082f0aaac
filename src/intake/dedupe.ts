/** The dedupe key of a delivery: a configured path into the payload, or the `webhook-id` header. */
export function dedupeKeyOf(
  payload: unknown,
  path: readonly string[] | undefined,
  webhookId: string,
): string | undefined {
  if (!path) return webhookId;
  let v: unknown = payload;
  for (const segment of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[segment];
  }
  if (typeof v === 'string' && v.length > 0 && v.length <= 512) return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}
