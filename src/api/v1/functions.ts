/**
 * /api/v1/functions: custom functions as immutable, numbered versions. Upload, list, read,
 * diff, and try one version on a sample input (`…/versions/:v:test`) exactly as a decision
 * would call it. A remote function's signing secret is shown once, in the answer to its
 * name's first remote version, and never again.
 */

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppConfig } from '../../config/model.js';
import { SecretKeyError } from '../../crypto/secret-box.js';
import { diffVersions } from '../../functions/diff.js';
import { createFunctionHost, type FunctionHost } from '../../functions/function-host.js';
import { FunctionManifestError, FunctionUploadSchema } from '../../functions/manifest.js';
import type { FunctionRegistry } from '../../functions/registry.js';
import { FunctionSampleSchema, testFunction } from '../../functions/test-run.js';
import type { FunctionVersion } from '../../functions/types.js';
import { functionVersionView } from '../../functions/view.js';
import { Problem } from '../../http/problem.js';
import type { FunctionStore } from '../../store/function-store.js';
import { PageQuery, ProblemSchema, problemResponses } from '../schemas.js';
import { keyProblem } from './integration-secrets.js';

const Json = Type.Object({}, { additionalProperties: true });

const VersionView = Type.Object(
  {
    name: Type.String(),
    version: Type.Integer({ minimum: 1 }),
    kind: Type.String({ description: 'decide, score, transform or match' }),
    runtime: Type.String({ description: 'javascript, typescript or remote' }),
    contentHash: Type.String({
      description: 'sha256 of what runs: kind, runtime, code, remote, fields, outputSchema, limits',
    }),
    fields: Type.Object(
      { task: Type.Array(Type.String()), member: Type.Array(Type.String()) },
      { additionalProperties: false },
    ),
    limits: Type.Optional(
      Type.Object(
        { timeoutMs: Type.Integer(), memoryMb: Type.Integer() },
        { additionalProperties: false, description: 'Sandboxed functions only' },
      ),
    ),
    remote: Type.Optional(
      Type.Object(
        { url: Type.String(), timeoutMs: Type.Integer(), retries: Type.Integer() },
        { additionalProperties: false },
      ),
    ),
    outputSchema: Type.Optional(Json),
    author: Type.String({ description: '`apikey:<api key id>` or `cli:<os user>`' }),
    message: Type.Optional(Type.String()),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

const VersionDetail = Type.Object(
  {
    ...VersionView.properties,
    source: Type.Optional(Type.String({ description: 'As uploaded (javascript, typescript)' })),
    code: Type.Optional(
      Type.String({ description: 'What runs: the source, or the TypeScript with its types stripped' }),
    ),
  },
  { additionalProperties: false },
);

const Uploaded = Type.Object(
  {
    ...VersionView.properties,
    created: Type.Boolean({ description: 'false: the latest version had this very content and is returned instead' }),
    secret: Type.Optional(
      Type.String({
        description:
          "The `whsec_` signing secret of a remote function, in the answer to its name's first remote version only: it cannot be read back.",
      }),
    ),
  },
  { additionalProperties: false },
);

const Page = (item: typeof VersionView) =>
  Type.Object(
    { items: Type.Array(item), next: Type.Union([Type.String(), Type.Null()]) },
    { additionalProperties: false },
  );

const NameParams = Type.Object({ name: Type.String({ maxLength: 200 }) });
const VersionParams = Type.Object({ name: Type.String({ maxLength: 200 }), v: Type.Integer({ minimum: 1 }) });
const DiffParams = Type.Object({
  name: Type.String({ maxLength: 200 }),
  a: Type.Integer({ minimum: 1 }),
  b: Type.Integer({ minimum: 1 }),
});

const TestBody = Type.Object({ input: FunctionSampleSchema }, { additionalProperties: false });

const TestResult = Type.Object(
  {
    outcome: Type.String({ description: 'ok, timeout, error, or invalid (it answered, but not in its kind’s shape)' }),
    value: Type.Optional(Type.Unknown({ description: 'The validated answer when ok; the raw answer when invalid' })),
    error: Type.Optional(Type.String()),
    logs: Type.Array(Type.String(), { description: 'console.log/info/warn/error lines (remote: one per attempt)' }),
    durationMs: Type.Number(),
    input: Type.Unknown({ description: 'What the function was given: the sample narrowed to its declared fields' }),
  },
  { additionalProperties: false },
);

const Change = Type.Object(
  { path: Type.String(), from: Type.Optional(Type.Unknown()), to: Type.Optional(Type.Unknown()) },
  { additionalProperties: false },
);

const DiffView = Type.Object(
  {
    name: Type.String(),
    from: Type.Integer(),
    to: Type.Integer(),
    fromHash: Type.String(),
    toHash: Type.String(),
    source: Type.String({ description: "Unified diff of the sources ('' when equal)" }),
    changes: Type.Array(Change, { description: 'Manifest fields that differ, by JSON pointer' }),
  },
  { additionalProperties: false },
);

const detail = (f: FunctionVersion) => ({
  ...functionVersionView(f),
  ...(f.source !== undefined ? { source: f.source } : {}),
  ...(f.code !== undefined ? { code: f.code } : {}),
});

function manifestProblem(e: FunctionManifestError): Problem {
  const extensions = { errors: e.problems };
  const detail = e.message.replace(/^invalid function manifest: /, '');
  return e.status === 413
    ? Problem.payloadTooLarge(
        'function-source-too-large',
        `The source ${detail.replace(/^\/source /, '')}.`,
        extensions,
      )
    : Problem.unprocessable('invalid-function', `The function cannot be stored: ${detail}.`, extensions);
}

export const functionRoutes: FastifyPluginAsyncTypebox<{
  store: FunctionStore;
  config: AppConfig;
  registry: FunctionRegistry;
  clock: () => Date;
  host?: FunctionHost;
}> = async (app, { store, config, registry, clock, host: given }) => {
  // A host of its own (when not given one) is closed with the app: its sandbox holds isolates.
  const own = given ? undefined : createFunctionHost(registry);
  if (own) app.addHook('onClose', () => own.close());
  const host: FunctionHost = given ?? (own as FunctionHost);

  const find = async (tenantId: string, name: string, version: number) => {
    const fn = await registry.get(tenantId, { name, version });
    if (!fn) throw Problem.notFound('function-not-found', `No function ${name}@${version}.`);
    return fn;
  };

  app.post(
    '/functions/:name/versions',
    {
      schema: {
        summary: 'Upload a function version: 201 with its number, or 200 with the latest if the content is the same',
        description:
          'The body is the manifest (the name is in the URL). Every problem is reported at once: 422 `invalid-function` ' +
          'with `errors: [{path, message, line?, column?}]` (JSON pointers into the body; a syntax error carries its ' +
          'line and column). 413 `function-source-too-large` above 64 KiB of source. A remote function needs an ' +
          "`outputSchema`; its name's first remote version answers with the signing `secret`, once (503 " +
          '`secret-key-not-set` without SWITCHYARD_SECRET_KEY).',
        tags: ['functions'],
        params: NameParams,
        body: FunctionUploadSchema,
        response: { 200: Uploaded, 201: Uploaded, ...problemResponses, 413: ProblemSchema, 503: ProblemSchema },
      },
      // The manifest is checked by checkManifest (the CLI's check too), so every problem is a 422
      // with its pointer, and nothing is coerced or dropped on the way: the schema is for OpenAPI.
      validatorCompiler: () => () => true,
    },
    async (request, reply) => {
      const { tenantId, keyId } = request.principal;
      const body: unknown = request.body;
      if (body === null || typeof body !== 'object' || Array.isArray(body))
        throw Problem.unprocessable(
          'invalid-function',
          'The function cannot be stored: the body must be a JSON object.',
          {
            errors: [{ path: '', message: 'must be an object' }],
          },
        );
      const manifest = body as Record<string, unknown>;
      try {
        const r = await registry.upload(tenantId, { ...manifest, name: request.params.name }, `apikey:${keyId}`);
        return reply
          .status(r.created ? 201 : 200)
          .send({ ...functionVersionView(r.version), created: r.created, ...(r.secret ? { secret: r.secret } : {}) });
      } catch (e) {
        if (e instanceof FunctionManifestError) throw manifestProblem(e);
        if (e instanceof SecretKeyError) throw keyProblem(e);
        throw e;
      }
    },
  );

  app.get(
    '/functions',
    {
      schema: {
        summary: "The tenant's functions: each name with its latest version, by name",
        tags: ['functions'],
        querystring: Type.Object(PageQuery),
        response: { 200: Page(VersionView), ...problemResponses },
      },
    },
    async (request) => {
      const { limit = 50, after } = request.query;
      const page = await store.listFunctions(request.principal.tenantId, {
        limit,
        ...(after !== undefined ? { after } : {}),
      });
      return { items: page.items.map(functionVersionView), next: page.next };
    },
  );

  app.get(
    '/functions/:name/versions',
    {
      schema: {
        summary: 'The versions of one function, newest first (without their source)',
        tags: ['functions'],
        params: NameParams,
        querystring: Type.Object(PageQuery),
        response: { 200: Page(VersionView), ...problemResponses },
      },
    },
    async (request) => {
      const { limit = 50, after } = request.query;
      const { tenantId } = request.principal;
      const page = await store.listFunctionVersions(tenantId, request.params.name, {
        limit,
        ...(after !== undefined ? { after } : {}),
      });
      if (page.items.length === 0 && after === undefined)
        throw Problem.notFound('function-not-found', `No function ${request.params.name}.`);
      return { items: page.items.map(functionVersionView), next: page.next };
    },
  );

  app.get(
    '/functions/:name/versions/:v',
    {
      schema: {
        summary: 'One version, with its source and the code that runs',
        tags: ['functions'],
        params: VersionParams,
        response: { 200: VersionDetail, ...problemResponses },
      },
    },
    async (request) => detail(await find(request.principal.tenantId, request.params.name, request.params.v)),
  );

  app.get(
    '/functions/:name/versions/:a/diff/:b',
    {
      schema: {
        summary: 'What changed from version a to version b: a unified diff of the source and the manifest fields',
        tags: ['functions'],
        params: DiffParams,
        response: { 200: DiffView, ...problemResponses },
      },
    },
    async (request) => {
      const { tenantId } = request.principal;
      const { name, a, b } = request.params;
      const from = await find(tenantId, name, a);
      const to = await find(tenantId, name, b);
      return { name, from: a, to: b, fromHash: from.contentHash, toHash: to.contentHash, ...diffVersions(from, to) };
    },
  );

  // `::` is find-my-way's escape for a literal colon: the URL is /functions/<name>/versions/<v>:test.
  // The regex ends the parameter (without it find-my-way reads a parameter named `v::test`).
  app.post(
    '/functions/:name/versions/:v(^\\d+)::test',
    {
      schema: {
        summary: 'Call one version on a sample input, as a decision would; nothing is stored',
        description:
          'The sample is narrowed to the fields the version declares (undeclared ones are `undefined` inside), ' +
          'the function runs with its limits (remote: signed, with its timeout and retries), and the answer is ' +
          'checked for its kind and output schema. A function that fails or answers wrongly is a result ' +
          '(`outcome` timeout, error or invalid), not a request error.',
        tags: ['functions'],
        params: VersionParams,
        body: TestBody,
        response: { 200: TestResult, ...problemResponses },
      },
    },
    async (request) => {
      const { tenantId } = request.principal;
      const fn = await find(tenantId, request.params.name, request.params.v);
      // config.tenants holds the Tenant of the active policy version (src/policy/registry.ts).
      const memberIds = config.tenants.get(tenantId)?.roster.members.keys() ?? [];
      return testFunction(host, fn, request.body.input, { now: clock(), memberIds });
    },
  );
};
