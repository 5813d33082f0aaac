/**
 * openStore(url, { create: false }): what read commands open. A database that does not exist,
 * or that nothing ever migrated, is refused with an error naming it, and nothing is created.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore, StoreNotFound } from '../src/store/open-store.js';
import { freshStoreUrl, STORES } from './support/stores.js';

describe('openStore without create (sqlite files)', () => {
  it('refuses a file that does not exist, naming it, and creates neither it nor its directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sy-open-'));
    const path = join(dir, 'missing', 'typo.db');
    const err = await openStore(`sqlite:${path}`, { create: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreNotFound);
    expect((err as Error).message).toContain(path);
    expect(existsSync(join(dir, 'missing'))).toBe(false);
  });

  it('refuses an existing file nothing ever migrated', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'sy-open-')), 'empty.db');
    writeFileSync(path, '');
    const err = await openStore(`sqlite:${path}`, { create: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreNotFound);
    expect((err as Error).message).toContain(path);
  });
});

for (const kind of STORES) {
  describe(`openStore without create (${kind})`, () => {
    it('refuses a database without the schema, and opens it once migrated', async () => {
      const url = await freshStoreUrl(kind);
      await expect(openStore(url, { create: false })).rejects.toBeInstanceOf(StoreNotFound);
      await (await openStore(url)).close();
      const store = await openStore(url, { create: false });
      try {
        expect(await store.tenantsWithTasks()).toEqual([]);
      } finally {
        await store.close();
      }
    });
  });
}
