/**
 * Which policy version each tenant routes with, on this node. The store holds one active
 * version per tenant (policy_active); the registry keeps the running Tenant objects in step
 * with it: every reader of `config.tenants` (intake, the pipeline, the backlog, the API) gets
 * the Tenant whose roster, policy and compiled policy are the active version's. The swap
 * replaces the Tenant object in the config's Map, so a reader holding the old object (a batch
 * in flight) finishes with the version it started with, and the next read sees the new one.
 *
 * Integrations, notify and the review setting always come from the config file: a version is
 * only the routing document `{ policy, members, teams }`.
 */
import type { Logger } from 'pino';
import type { AppConfig, Tenant } from '../config/model.js';
import { buildRouting, type RoutingDocument } from '../config/tenant.js';
import type { PolicyStore } from '../store/policy-store.js';
import { createPolicyVersion } from './versions.js';

type Routing = ReturnType<typeof buildRouting>;

/**
 * The routing document each tenant's config file declares, taken the first time a registry
 * sees the config object (before any swap), so a second server built on the same AppConfig
 * (a restart in a test) still knows what the file says.
 */
const FILE_DOCUMENTS = new WeakMap<AppConfig, ReadonlyMap<string, RoutingDocument>>();

function fileDocuments(config: AppConfig): ReadonlyMap<string, RoutingDocument> {
  let docs = FILE_DOCUMENTS.get(config);
  if (!docs) {
    docs = new Map([...config.tenants].map(([id, t]) => [id, t.policyDocument as RoutingDocument]));
    FILE_DOCUMENTS.set(config, docs);
  }
  return docs;
}

export class PolicyRegistry {
  /** Tenant → the version this node routes with now. */
  private readonly serving = new Map<string, string>();
  /** `tenant/version` → built routing; versions never change, so entries never go stale. */
  private readonly built = new Map<string, Routing>();
  /** Versions whose document failed to build: logged once, not on every refresh. */
  private readonly broken = new Set<string>();
  private tail: Promise<void> = Promise.resolve();
  private readonly files: ReadonlyMap<string, RoutingDocument>;

  constructor(
    private readonly store: PolicyStore,
    private readonly config: AppConfig,
    private readonly log: Logger,
  ) {
    this.files = fileDocuments(config);
    for (const [id, t] of config.tenants) this.serving.set(id, t.policy.version);
  }

  /** The version this node routes the tenant's events with. */
  active(tenantId: string): string | undefined {
    return this.serving.get(tenantId);
  }

  /** The config file's routing document for the tenant (what `bootstrap` records). */
  fileDocument(tenantId: string): RoutingDocument | undefined {
    return this.files.get(tenantId);
  }

  /**
   * At start-up, per config tenant: record the file's document as a version if the store has
   * never seen that content (author `config:<file>`, parent = the active version). A tenant
   * with no active version gets the file's. New content is activated at once unless the
   * tenant requires review (then it waits, pending, and a warning says so). Content the store
   * already knows is not re-activated, so a version activated through the API or the CLI (a
   * rollback, say) survives a restart with an unchanged file.
   */
  async bootstrap(now: Date): Promise<void> {
    const at = now.toISOString();
    const author = `config:${this.config.source}`;
    const pointers = new Map(
      (await this.store.activePolicies([...this.files.keys()])).map((p) => [p.tenantId, p.version]),
    );
    for (const [tenantId, document] of this.files) {
      const reviewRequired = this.config.tenants.get(tenantId)?.policyReview?.required ?? false;
      const { version, created } = await createPolicyVersion(this.store, {
        tenantId,
        document,
        author,
        message: 'from the config file',
        reviewRequired,
        now: at,
      });
      const active = pointers.get(tenantId);
      const log = this.log.child({ tenant: tenantId, version: version.id, number: version.number });
      if (active === undefined) {
        await this.store.activatePolicyVersion({
          tenantId,
          version: version.id,
          actor: author,
          reason: 'first version',
          now: at,
        });
        log.info('policy version from the config file activated (the tenant had none)');
      } else if (created && !reviewRequired && active !== version.id) {
        await this.store.activatePolicyVersion({
          tenantId,
          version: version.id,
          actor: author,
          reason: 'the config file changed',
          now: at,
        });
        log.info({ previous: active }, 'the config file changed: its policy version is now active');
      } else if (created) {
        log.warn(
          { active },
          'the config file declares a new policy version; this tenant requires review, so it waits (pending) until another key approves it and someone activates it',
        );
      } else if (version.id !== active) {
        log.info(
          { active },
          'the config file declares a version that exists already and is not active; the active one (set through the API or CLI) stays',
        );
      }
    }
    await this.refresh();
  }

  /**
   * Read every tenant's active pointer (one query) and swap the tenants whose pointer moved.
   * Calls are serialised, so an older read never overwrites a newer one.
   */
  refresh(): Promise<void> {
    const run = this.tail.then(() => this.swapMoved());
    this.tail = run.catch(() => {});
    return run;
  }

  /** Resolves when no refresh is running (for a clean shutdown). */
  idle(): Promise<void> {
    return this.tail;
  }

  /** The routing of a tenant's version (built once per version), for whoever needs to route with it. */
  async routingFor(tenantId: string, version: string): Promise<Routing | undefined> {
    const key = `${tenantId}/${version}`;
    const cached = this.built.get(key);
    if (cached) return cached;
    const row = await this.store.getPolicyVersion(tenantId, { id: version });
    if (!row) return undefined;
    const routing = buildRouting(row.document as RoutingDocument);
    this.built.set(key, routing);
    return routing;
  }

  private async swapMoved(): Promise<void> {
    const pointers = await this.store.activePolicies([...this.files.keys()]);
    for (const p of pointers) {
      if (this.serving.get(p.tenantId) === p.version) continue;
      const key = `${p.tenantId}/${p.version}`;
      if (this.broken.has(key)) continue;
      let routing: Routing | undefined;
      try {
        routing = await this.routingFor(p.tenantId, p.version);
      } catch (e) {
        this.broken.add(key);
        this.log.error({ err: e, tenant: p.tenantId, version: p.version }, 'the active policy version does not build');
        continue;
      }
      if (!routing) continue;
      this.swap(p.tenantId, routing);
      this.log.info(
        { tenant: p.tenantId, version: p.version, previous: this.serving.get(p.tenantId) },
        'routing with policy version',
      );
      this.serving.set(p.tenantId, p.version);
    }
  }

  private swap(tenantId: string, routing: Routing): void {
    const tenants = this.config.tenants;
    const current = tenants.get(tenantId);
    if (!current) return;
    if (!(tenants instanceof Map)) throw new Error('config.tenants must be a Map for policy versions to swap in');
    const next: Tenant = { ...current, ...routing };
    (tenants as Map<string, Tenant>).set(tenantId, next);
  }
}
