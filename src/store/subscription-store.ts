/** Outbound webhook subscriptions of a tenant; the signing secret is stored encrypted only. */
import type { TenantAction } from './shared.js';

export interface SubscriptionRow {
  id: string;
  url: string;
  events: string[];
  /** Ciphertext (src/crypto/secret-box.ts), never the secret. */
  encryptedSecret: string;
  createdAt: string;
}

export interface NewSubscription {
  tenantId: string;
  id: string;
  url: string;
  events: string[];
  encryptedSecret: string;
  actor: string;
  now: string;
}

export interface SubscriptionStore {
  /** Audited `subscription.created` (never the secret). */
  createSubscription(s: NewSubscription): Promise<void>;
  listSubscriptions(tenantId: string): Promise<SubscriptionRow[]>;
  getSubscription(tenantId: string, id: string): Promise<SubscriptionRow | undefined>;
  /** Audited; false when there was no such subscription. */
  deleteSubscription(a: TenantAction): Promise<boolean>;
}
