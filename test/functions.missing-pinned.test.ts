/**
 * docs/functions.md followed literally: `examples/functions.yaml` served before its pinned
 * functions are uploaded. One event on the `changes` integration meets two missing functions:
 * release-freeze@1 (`onFunctionError: next_route`) and arr-score@1 (`config`: least_loaded
 * ranks). The decision takes those fallbacks, records why, and the server keeps answering.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SECRETS } from './support/secrets.js';
import { postEvent, taskPayload, useTestServer, waitFor } from './support/server.js';
import { STORES } from './support/stores.js';

const CONFIG = readFileSync(new URL('../examples/functions.yaml', import.meta.url), 'utf8');

for (const kind of STORES) {
  describe(`examples/functions.yaml before its functions are uploaded (${kind})`, () => {
    const { server: t, json } = useTestServer(kind, { configYaml: CONFIG, keys: ['shop'] });

    it('an event takes the declared fallbacks and the server keeps answering', async () => {
      const externalId = 'CHG-missing-1';
      const res = await postEvent(t.base, '/hooks/shop/changes', taskPayload({ externalId, component: 'payments' }), {
        secret: SECRETS.shopChanges,
      });
      expect(res.status).toBe(202);
      const decision = await waitFor(
        () =>
          t.store.db
            .selectFrom('decisions')
            .select(['outcome', 'assignee', 'route', 'detail'])
            .where('tenant_id', '=', 'shop')
            .executeTakeFirst(),
        20_000,
        'the decision',
      );
      expect(decision).toMatchObject({ outcome: 'assigned', route: 'by-arr' });
      expect(['ana', 'ben', 'cy']).toContain(decision.assignee);
      const calls = JSON.parse(decision.detail).functions;
      expect(calls).toMatchObject([
        {
          name: 'release-freeze',
          outcome: 'error',
          error: 'function release-freeze@1 does not exist',
          fallback: { action: 'next_route' },
        },
        {
          name: 'arr-score',
          outcome: 'error',
          error: 'function arr-score@1 does not exist',
          fallback: { action: 'config' },
        },
      ]);

      // Still answering: the API, readiness, and intake.
      expect((await json('/members')).status).toBe(200);
      expect((await fetch(`${t.base}/readyz`)).status).toBe(200);
      const again = await postEvent(t.base, '/hooks/shop/changes', taskPayload({ externalId: 'CHG-missing-2' }), {
        secret: SECRETS.shopChanges,
      });
      expect(again.status).toBe(202);
      await waitFor(
        async () =>
          (await t.store.db.selectFrom('decisions').select('id').where('tenant_id', '=', 'shop').execute()).length ===
          2,
        20_000,
        'the second decision',
      );
    }, 60_000);
  });
}
