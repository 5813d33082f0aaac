/** A function version as the API and the CLI show it: everything but its source, never a secret. */
import type { FunctionVersionSummary } from '../store/function-store.js';

export const functionVersionView = (f: FunctionVersionSummary) => ({
  name: f.name,
  version: f.version,
  kind: f.kind,
  runtime: f.runtime,
  contentHash: f.contentHash,
  fields: f.fields,
  ...(f.runtime === 'remote' ? { remote: f.remote } : { limits: f.limits }),
  ...(f.outputSchema ? { outputSchema: f.outputSchema } : {}),
  author: f.author,
  ...(f.message !== undefined ? { message: f.message } : {}),
  createdAt: f.createdAt,
});
