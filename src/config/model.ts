/** The config as the running server uses it: validated, env references resolved, policy compiled. */
import type { CompiledPolicy, FunctionRef, Policy, Roster } from '../core/index.js';
import type { SigningSecret } from '../crypto/secret-box.js';
import type { JiraFieldMap } from './jira-fields.js';

export type { SigningSecret };

/** The kinds of source an integration can be; each has an adapter in src/intake/sources. */
export const INTEGRATION_TYPES = ['generic', 'alertmanager', 'github', 'jira', 'slack'] as const;
export type IntegrationType = (typeof INTEGRATION_TYPES)[number];

export interface Integration {
  id: string;
  type: IntegrationType;
  secrets: SigningSecret[];
  /** Dot path into the payload used as the dedupe key; undefined = the `webhook-id` header. */
  dedupePath?: string[];
  /** Compiled JSONata transform (or a transform function's adapter); undefined = the payload already is a Task. */
  transform?: PayloadTransform;
  /** A `transform` custom function pinned instead of JSONata (`transformFunction: name@version`). */
  transformFunction?: FunctionRef;
  /** Source text of the transform, kept for display and for hashing. */
  transformSource?: string;
  /** jira: which Jira field fills which Task field, over the built-in mapping. */
  fields?: JiraFieldMap;
}

/** Payload → Task fields: a compiled JSONata expression has exactly this shape. */
export interface PayloadTransform {
  evaluate(input: unknown, bindings?: Record<string, unknown>): Promise<unknown>;
}

/** Where decisions are announced (tenant `notify:`), defaults filled in; tokens never logged. */
export interface NotifyConfig {
  slack?: { botToken: string; channel?: string; apiUrl: string };
  jira?: { siteUrl: string; email: string; apiToken: string };
  github?: { token: string; apiUrl: string };
}

export interface Tenant {
  id: string;
  name: string;
  integrations: ReadonlyMap<string, Integration>;
  roster: Roster;
  policy: Policy;
  compiled: CompiledPolicy;
  /** The policy and roster as declared, stored with its version so old decisions stay replayable. */
  policyDocument: unknown;
  notify?: NotifyConfig;
  /** `policyReview.required`: new policy versions need another key's approval before activation. */
  policyReview?: { required: boolean };
}

export interface AppConfig {
  /** Where the config was read from, for messages. */
  source: string;
  tenants: ReadonlyMap<string, Tenant>;
}
