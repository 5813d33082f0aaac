/**
 * A child process for test/store.migrations.concurrent.test.ts: opens (and so migrates) the
 * store named by argv[2] once the parent writes a line to stdin, so several children start
 * migrating at the same moment. Prints `ok`, or the error, and exits 0 or 1.
 */
import { openStore } from '../../src/store/open-store.js';

const url = process.argv[2] as string;
process.stdout.write('ready\n');
process.stdin.once('data', async () => {
  try {
    const store = await openStore(url);
    await store.close();
    process.stdout.write('ok\n');
    process.exit(0);
  } catch (e) {
    process.stdout.write(`${(e as Error).message}\n`);
    process.exit(1);
  }
});
