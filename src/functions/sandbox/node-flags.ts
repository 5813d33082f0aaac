/**
 * isolated-vm on Node.js 20+ asks for `--no-node-snapshot` (its README: isolates created next to
 * a Node started from its startup snapshot may crash when V8 shares read-only heap data between
 * them). `npm start`, `npm run bench`, `npm test` (vitest forks) and bin/switchyard.mjs pass it;
 * this tells whether the running process has it, for a startup log line or a health check.
 */
export function nodeSnapshotDisabled(): boolean {
  const flag = '--no-node-snapshot';
  if (process.execArgv.includes(flag)) return true;
  return (process.env.NODE_OPTIONS ?? '').split(/\s+/).includes(flag);
}
