/**
 * The ceiling for intake: a bare fastify server whose one POST route does exactly one INSERT
 * into `events` (autocommit, so one transaction and one WAL fsync per request) and answers 202.
 * Same SQLite PRAGMAs and schema as the real store; no signature check, no batching.
 *
 *   node --import tsx bench/bare-insert-server.ts --db PATH --port N [--host 127.0.0.1]
 */
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { newId } from '../src/store/ids.js';
import { openStore } from '../src/store/open-store.js';
import { openSqliteDatabase } from '../src/store/sqlite/sqlite-dialect.js';

const BODY_LIMIT = 1024 * 1024;

const { values } = parseArgs({
  options: { db: { type: 'string' }, port: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' } },
});
if (!values.db || !values.port) {
  process.stderr.write('usage: bare-insert-server --db PATH --port N [--host ADDR]\n');
  process.exit(2);
}

// The project's migrations create the schema; then a plain connection with the identical PRAGMAs.
await (await openStore(`sqlite:${values.db}`)).close();
const db = openSqliteDatabase(values.db);
const insert = db.prepare(
  `INSERT INTO events (tenant_id, id, integration, dedupe_key, received_at, body, status)
   VALUES (?, ?, ?, ?, ?, ?, 'pending')`,
);

const app = Fastify({ logger: false, keepAliveTimeout: 65_000 });
app.removeAllContentTypeParsers();
app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_req, body, done) =>
  done(null, body),
);
app.get('/readyz', async () => ({ status: 'ready' }));
app.post<{ Params: { tenant: string; integration: string } }>(
  '/hooks/:tenant/:integration',
  { bodyLimit: BODY_LIMIT },
  async (request, reply) => {
    const receivedAt = new Date().toISOString();
    const id = newId();
    const webhookId = request.headers['webhook-id'];
    const body = request.body as Buffer;
    insert.run(
      request.params.tenant,
      id,
      request.params.integration,
      typeof webhookId === 'string' ? webhookId : id,
      receivedAt,
      body.toString('utf8'),
    );
    return reply.status(202).send({ status: 'accepted', eventId: id });
  },
);

await app.listen({ port: Number(values.port), host: values.host });
const stop = async () => {
  await app.close();
  db.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
