/**
 * The target registry. A row's target is `<name>` or `<name>:<detail>` (`webhook:<subscriptionId>`).
 * Rows for a target not listed here (e.g. `slack`, until its target exists) are not claimed:
 * they stay pending, owed, rather than failing.
 */
import { subscribersTarget } from './subscribers.js';
import type { OutboxTarget } from './types.js';
import { webhookTarget } from './webhook.js';

export const TARGETS: Record<string, OutboxTarget> = {
  subscribers: subscribersTarget,
  webhook: webhookTarget,
};

export function targetName(target: string): string {
  const colon = target.indexOf(':');
  return colon < 0 ? target : target.slice(0, colon);
}
