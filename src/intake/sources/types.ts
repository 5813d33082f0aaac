/**
 * A source adapter: how one kind of tool's webhook is verified, parsed and deduplicated at
 * intake. What the payload means (a new task, a close, a human reassignment, nothing) is the
 * pipeline's business: see src/pipeline/sources/.
 */
import type { Integration, Tenant } from '../../config/model.js';
import type { VerifyFailure } from '../../crypto/standard-webhooks.js';
import type { EventStore } from '../../store/event-store.js';
import type { TaskStore } from '../../store/task-store.js';

export interface Delivery {
  /** The raw request body, exactly as received: signatures are over these bytes. */
  body: Buffer;
  /** Lower-case header names; the first value when a header repeats. */
  header(name: string): string | undefined;
  /** The media type without parameters, lower-case (e.g. application/json). */
  contentType: string;
}

export type { VerifyFailure };

export type Verified = { ok: true } | { ok: false; reason: VerifyFailure; detail: string };

export type Parsed = { ok: true; payload: unknown } | { ok: false; detail: string };

export interface SourceAdapter {
  /** Media types this source sends; anything else is answered 415. */
  accepts(contentType: string): boolean;
  /** Authenticate the delivery against the integration's active secrets (constant-time). */
  verify(delivery: Delivery, integration: Integration, now: Date): Verified;
  parse(delivery: Delivery): Parsed;
  /** The key duplicates share; undefined when the delivery lacks it (answered 422). */
  dedupeKey(delivery: Delivery, payload: unknown, integration: Integration): string | undefined;
  /** Headers the normalizer needs later (e.g. which GitHub event this is), stored with the event. */
  meta(delivery: Delivery): Record<string, string>;
  /** Sources whose sender reads the answer (Slack): 200 with a body instead of 202. */
  reply?: SourceReply;
}

/** A JSON document the sender shows to a person (e.g. a Slack message). */
export type ReplyBody = Record<string, unknown>;

export interface ReplyContext {
  tenant: Tenant;
  /** Reads only: the event a reply is about, and its task and decision. */
  store: EventStore & TaskStore;
  clock: () => Date;
}

/** A synchronous answer to a verified, parsed delivery. */
export interface SourceReply {
  /** Answer at once without storing an event (read-only or unusable requests); undefined = store it. */
  direct?(payload: unknown, ctx: ReplyContext): ReplyBody | undefined;
  /** Once the event row is durable (or found a duplicate of `eventId`): the answer, waited for within a bound. */
  afterAccepted?(payload: unknown, eventId: string, ctx: ReplyContext): Promise<ReplyBody>;
}

/** Secrets usable now: not past their expiry. */
export function activeSecrets(integration: Integration, now: Date) {
  return integration.secrets.filter((s) => s.expiresAt === undefined || s.expiresAt > now.getTime());
}
