/**
 * Invariant 8: every malformed, oversized, unsigned, stale or misaddressed delivery gets a
 * clear application/problem+json 4xx, is counted in /metrics, and writes nothing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { SECRETS } from './support/secrets.js';
import { postEvent, rowCounts, signedHeaders, taskPayload, useTestServer } from './support/server.js';
import { STORES } from './support/stores.js';

const HOOK = '/hooks/acme/tickets';

for (const kind of STORES) {
  describe(`intake rejects bad input (${kind})`, () => {
    /** Audit entries written at boot (each tenant's policy version created and activated). */
    let bootAudit: number;
    // No worker: these tests look at what intake alone writes.
    const { server: t } = useTestServer(kind, { worker: false });
    beforeAll(async () => {
      bootAudit = (await rowCounts(t.store)).audit_log ?? 0;
    });

    async function expectRejected(
      res: Response | { status: number; contentType: string | null; body: Record<string, unknown> },
      status: number,
      type: string,
    ) {
      const body = res instanceof Response ? ((await res.json()) as Record<string, unknown>) : res.body;
      const contentType = res instanceof Response ? res.headers.get('content-type') : res.contentType;
      expect(res.status).toBe(status);
      expect(contentType).toMatch(/^application\/problem\+json/);
      expect(body.type).toBe(`urn:switchyard:problem:${type}`);
      expect(body.status).toBe(status);
      expect(typeof body.detail).toBe('string');
      expect((body.detail as string).length).toBeGreaterThan(10);
      expect(await rowCounts(t.store)).toMatchObject({ events: 0, tasks: 0, decisions: 0, audit_log: bootAudit });
    }

    const post = (headers: Record<string, string>, body: string | Buffer, path = HOOK) =>
      fetch(`${t.base}${path}`, { method: 'POST', headers, body });

    it('refuses a forged signature (body changed after signing)', async () => {
      const headers = signedHeaders(JSON.stringify(taskPayload({ title: 'original' })));
      await expectRejected(
        await post(headers, JSON.stringify(taskPayload({ title: 'tampered' }))),
        401,
        'bad-signature',
      );
    });

    it('refuses a signature made with a secret the integration does not have', async () => {
      await expectRejected(
        await postEvent(t.base, HOOK, taskPayload(), { secret: SECRETS.unknown }),
        401,
        'bad-signature',
      );
    });

    it('refuses another tenant’s secret for this tenant’s integration', async () => {
      await expectRejected(
        await postEvent(t.base, HOOK, taskPayload(), { secret: SECRETS.globex }),
        401,
        'bad-signature',
      );
    });

    it('refuses a secret past its expiry', async () => {
      await expectRejected(
        await postEvent(t.base, HOOK, taskPayload(), { secret: SECRETS.expired }),
        401,
        'bad-signature',
      );
    });

    it('refuses a timestamp more than 5 minutes old (replay)', async () => {
      const old = Math.floor(Date.now() / 1000) - 5 * 60 - 30;
      await expectRejected(await postEvent(t.base, HOOK, taskPayload(), { timestamp: old }), 401, 'stale-timestamp');
    });

    it('refuses a timestamp more than 5 minutes ahead', async () => {
      const future = Math.floor(Date.now() / 1000) + 5 * 60 + 30;
      await expectRejected(
        await postEvent(t.base, HOOK, taskPayload(), { timestamp: future }),
        401,
        'future-timestamp',
      );
    });

    it('refuses a timestamp that is not whole seconds', async () => {
      const body = JSON.stringify(taskPayload());
      const headers = { ...signedHeaders(body), 'webhook-timestamp': '2026-11-26T10:00:00Z' };
      await expectRejected(await post(headers, body), 401, 'invalid-timestamp');
    });

    for (const missing of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      it(`refuses a delivery without the ${missing} header`, async () => {
        const body = JSON.stringify(taskPayload());
        const headers = signedHeaders(body);
        delete headers[missing];
        await expectRejected(await post(headers, body), 401, 'missing-headers');
      });
    }

    it('refuses a correctly signed body that is not JSON', async () => {
      const body = '{"externalId": "X-1", "title": ';
      await expectRejected(await post(signedHeaders(body), body), 400, 'malformed-json');
    });

    it('refuses an empty body', async () => {
      await expectRejected(await post(signedHeaders(''), ''), 400, 'malformed-json');
    });

    it('refuses a body that is not declared as JSON', async () => {
      const body = JSON.stringify(taskPayload());
      await expectRejected(
        await post({ ...signedHeaders(body), 'content-type': 'text/plain' }, body),
        415,
        'unsupported-media-type',
      );
    });

    it('refuses a form-encoded body', async () => {
      const body = 'externalId=X-1&title=hello';
      const headers = { ...signedHeaders(body), 'content-type': 'application/x-www-form-urlencoded' };
      await expectRejected(await post(headers, body), 415, 'unsupported-media-type');
    });

    it('refuses a 2 MiB body with 413', async () => {
      const body = JSON.stringify(taskPayload({ title: 'x'.repeat(2 * 1024 * 1024) }));
      await expectRejected(await post(signedHeaders(body), body), 413, 'payload-too-large');
    });

    it('refuses an unknown tenant', async () => {
      await expectRejected(await postEvent(t.base, '/hooks/nobody/tickets', taskPayload()), 404, 'unknown-integration');
    });

    it('refuses an unknown integration of a known tenant', async () => {
      await expectRejected(await postEvent(t.base, '/hooks/acme/nothing', taskPayload()), 404, 'unknown-integration');
    });

    it('refuses a payload without the configured dedupe field', async () => {
      const res = await postEvent(
        t.base,
        '/hooks/acme/helpdesk',
        { ticket: { subject: 'no id' } },
        { secret: SECRETS.helpdesk },
      );
      await expectRejected(res, 422, 'missing-dedupe-key');
    });

    it('counts every rejection by reason in /metrics', async () => {
      const text = await (await fetch(`${t.base}/metrics`)).text();
      for (const reason of [
        'bad_signature',
        'stale_timestamp',
        'future_timestamp',
        'missing_headers',
        'malformed_json',
        'too_large',
        'media_type',
        'unknown_integration',
        'missing_dedupe_key',
      ]) {
        expect(text).toMatch(new RegExp(`switchyard_events_rejected_total\\{reason="${reason}"\\} [1-9]`));
      }
    });

    it('accepts the same delivery once it is well formed (the rejections left no trace)', async () => {
      const res = await postEvent(t.base, HOOK, taskPayload());
      expect(res.status).toBe(202);
      expect(await rowCounts(t.store)).toMatchObject({ events: 1 });
    });

    it('accepts every active secret during a rotation', async () => {
      const before = (await rowCounts(t.store)).events as number;
      expect((await postEvent(t.base, HOOK, taskPayload(), { secret: SECRETS.current })).status).toBe(202);
      expect((await postEvent(t.base, HOOK, taskPayload(), { secret: SECRETS.previous })).status).toBe(202);
      expect((await rowCounts(t.store)).events).toBe(before + 2);
    });
  });
}
