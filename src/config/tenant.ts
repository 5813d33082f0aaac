/** Semantic checks and runtime assembly of one tenant's config. */
import { createHash } from 'node:crypto';
import jsonata from 'jsonata';
import { canonicalJson, compilePolicy, type Member, type Policy, type Roster, type Team } from '../core/index.js';
import { buildMember, buildRoute, buildTeam, parseFunctionRef } from './build-roster.js';
import { checkMembers, checkTeams } from './check-roster.js';
import { checkRoutes } from './check-routes.js';
import { JIRA_FIELD_ID, JIRA_MAPPABLE_FIELDS, type JiraFieldMap } from './jira-fields.js';
import type { Integration, NotifyConfig, SigningSecret, Tenant } from './model.js';
import type { IntegrationFile, NotifyFile, TenantFile } from './schema.js';

type Problem = [(string | number)[], string];

export function checkTenant(t: TenantFile): Problem[] {
  const problems = checkRouting({ policy: t.policy, members: t.members, teams: t.teams ?? [] });
  problems.push(...duplicates(t.integrations, 'id', ['integrations']));
  t.integrations.forEach((integ, i) => {
    problems.push(...checkIntegration(integ).map(([p, m]): Problem => [['integrations', i, ...p], m]));
  });
  problems.push(...checkNotify(t.notify));
  return problems;
}

/** The semantic checks of a routing document (policy, members, teams), paths relative to it. */
export function checkRouting(d: RoutingDocument): Problem[] {
  const members = new Set(d.members.map((m) => m.id));
  const teams = new Map(d.teams.map((x) => [x.id, x]));
  return [
    ...duplicates(d.members, 'id', ['members']),
    ...duplicates(d.teams, 'id', ['teams']),
    ...duplicates(d.policy.routes, 'name', ['policy', 'routes']),
    ...checkMembers(d.members),
    ...checkTeams(d.teams, members),
    ...checkRoutes(d.policy.routes, members, teams),
  ];
}

function duplicates(items: { id?: string; name?: string }[], key: 'id' | 'name', where: string[]): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const v = item[key] as string;
    if (seen.has(v)) problems.push([[...where, i, key], `duplicate ${key} "${v}"`]);
    seen.add(v);
  });
  return problems;
}

function checkNotify(n: NotifyFile | undefined): Problem[] {
  const urls: [string, string, string | undefined][] = [
    ['slack', 'apiUrl', n?.slack?.apiUrl],
    ['jira', 'siteUrl', n?.jira?.siteUrl],
    ['github', 'apiUrl', n?.github?.apiUrl],
  ];
  return urls
    .filter(([, , url]) => url !== undefined && !isHttpUrl(url))
    .map(([where, key]): Problem => [['notify', where, key], 'not an http(s) URL']);
}

function isHttpUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

function buildNotify(n: NotifyFile | undefined): NotifyConfig | undefined {
  if (!n) return undefined;
  return {
    ...(n.slack ? { slack: { ...n.slack, apiUrl: trimSlash(n.slack.apiUrl ?? 'https://slack.com/api') } } : {}),
    ...(n.jira ? { jira: { ...n.jira, siteUrl: trimSlash(n.jira.siteUrl) } } : {}),
    ...(n.github ? { github: { ...n.github, apiUrl: trimSlash(n.github.apiUrl ?? 'https://api.github.com') } } : {}),
  };
}

function checkIntegration(integ: IntegrationFile): Problem[] {
  const problems: Problem[] = [];
  integ.secrets.forEach((s, j) => {
    const value = typeof s === 'string' ? s : s.value;
    const at = typeof s === 'string' ? ['secrets', j] : ['secrets', j, 'value'];
    if (integ.type === 'generic') {
      if (!value.startsWith('whsec_') || decodeSecret(value).length < 16) {
        problems.push([at, 'a generic integration secret is whsec_ followed by at least 16 base64-encoded bytes']);
      }
    } else if (value.length < MIN_SECRET_LENGTH) {
      problems.push([at, `a ${integ.type} secret needs at least ${MIN_SECRET_LENGTH} characters (use a random one)`]);
    }
  });
  if (integ.dedupe && integ.type !== 'generic') {
    problems.push([['dedupe'], `dedupe is for generic integrations; ${integ.type} deliveries carry their own id`]);
  }
  problems.push(...checkJiraFields(integ));
  if (integ.transform !== undefined && integ.transformFunction !== undefined) {
    problems.push([['transformFunction'], 'choose transform (JSONata) or transformFunction, not both']);
  }
  if (integ.transform !== undefined) {
    try {
      jsonata(integ.transform);
    } catch (e) {
      const err = e as { message: string; position?: number };
      problems.push([['transform'], `JSONata does not compile: ${err.message} (at character ${err.position ?? '?'})`]);
    }
  }
  return problems;
}

function checkJiraFields(integ: IntegrationFile): Problem[] {
  if (integ.fields === undefined) return [];
  if (integ.type !== 'jira') return [[['fields'], `fields maps Jira field ids; a ${integ.type} integration has none`]];
  const problems: Problem[] = [];
  for (const [name, id] of Object.entries(integ.fields)) {
    if (!(JIRA_MAPPABLE_FIELDS as readonly string[]).includes(name)) {
      problems.push([
        ['fields', name],
        `"${name}" is not a Task field Jira can fill (use ${JIRA_MAPPABLE_FIELDS.join(', ')})`,
      ]);
    } else if (!JIRA_FIELD_ID.test(id)) {
      problems.push([
        ['fields', name],
        `"${id}" is not a Jira field id (customfield_<number>, or a system field such as duedate)`,
      ]);
    }
  }
  return problems;
}

/** Shared secrets and bearer tokens of the built-in sources: long enough not to be guessed. */
const MIN_SECRET_LENGTH = 16;

function decodeSecret(value: string): Buffer {
  const b64 = value.slice('whsec_'.length);
  return /^[A-Za-z0-9+/]+={0,2}$/.test(b64) ? Buffer.from(b64, 'base64') : Buffer.alloc(0);
}

export function buildTenant(t: TenantFile): Tenant {
  const routing = buildRouting({ policy: t.policy, members: t.members, teams: t.teams ?? [] });
  const integrations = new Map<string, Integration>(t.integrations.map((i) => [i.id, buildIntegration(i)]));
  return {
    id: t.id,
    name: t.name ?? t.id,
    integrations,
    ...routing,
    ...(t.notify ? { notify: buildNotify(t.notify) } : {}),
    ...(t.policyReview ? { policyReview: { required: t.policyReview.required } } : {}),
  };
}

/** What a policy version holds: the policy and the roster it routes to, as declared. */
export interface RoutingDocument {
  policy: TenantFile['policy'];
  members: TenantFile['members'];
  teams: NonNullable<TenantFile['teams']>;
}

/** The version id of a routing document: `pv_` + 16 hex of its canonical JSON's SHA-256. */
export function policyVersionOf(document: RoutingDocument): string {
  return `pv_${createHash('sha256').update(canonicalJson(document)).digest('hex').slice(0, 16)}`;
}

/** Roster, policy and compiled policy from a (validated) routing document. */
export function buildRouting(
  document: RoutingDocument,
): Pick<Tenant, 'roster' | 'policy' | 'compiled' | 'policyDocument'> {
  const members = new Map<string, Member>(document.members.map((m) => [m.id, buildMember(m)]));
  const teams = new Map<string, Team>(document.teams.map((x) => [x.id, buildTeam(x)]));
  const roster: Roster = { members, teams };
  const policy: Policy = {
    version: policyVersionOf(document),
    fallbackQueue: document.policy.fallbackQueue,
    routes: document.policy.routes.map(buildRoute),
  };
  return { roster, policy, compiled: compilePolicy(policy, roster), policyDocument: document };
}

function buildIntegration(i: IntegrationFile): Integration {
  // Generic secrets are whsec_<base64 key>; every other source's secret or token is used as written.
  const keyOf = (value: string) => (i.type === 'generic' ? decodeSecret(value) : Buffer.from(value, 'utf8'));
  const secrets: SigningSecret[] = i.secrets.map((s) =>
    typeof s === 'string'
      ? { key: keyOf(s) }
      : { key: keyOf(s.value), expiresAt: s.expiresAt ? Date.parse(s.expiresAt) : undefined },
  );
  return {
    id: i.id,
    type: i.type,
    secrets,
    dedupePath: i.dedupe?.path.split('.'),
    transform: i.transform ? jsonata(i.transform) : undefined,
    ...(i.transformFunction ? { transformFunction: parseFunctionRef(i.transformFunction) } : {}),
    transformSource: i.transform,
    ...(i.fields ? { fields: i.fields as JiraFieldMap } : {}),
  };
}
