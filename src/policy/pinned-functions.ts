/**
 * A policy may only pin function versions that exist, each used as its kind: checked when a
 * version is created (API, `switchyard apply`) so a typo fails the review, not the decisions.
 * The config file is only warned about at boot: its functions may be uploaded after it.
 */

import { parseFunctionRef } from '../config/build-roster.js';
import type { ConfigProblem } from '../config/config-error.js';
import type { RoutingDocument } from '../config/tenant.js';
import type { FunctionRef } from '../core/index.js';
import type { FunctionKind, FunctionVersion } from '../functions/types.js';

type Lookup = (tenantId: string, ref: FunctionRef) => Promise<FunctionVersion | undefined>;

const STEP_KINDS: [key: 'match' | 'function' | 'score', kind: FunctionKind][] = [
  ['match', 'match'],
  ['function', 'decide'],
  ['score', 'score'],
];

export async function checkPinnedFunctions(
  lookup: Lookup,
  tenantId: string,
  document: RoutingDocument,
): Promise<ConfigProblem[]> {
  const problems: ConfigProblem[] = [];
  for (const [i, route] of document.policy.routes.entries()) {
    for (const [key, kind] of STEP_KINDS) {
      const pinned = route[key];
      if (pinned === undefined) continue;
      const fn = await lookup(tenantId, parseFunctionRef(pinned));
      const pointer = `/policy/routes/${i}/${key}`;
      if (!fn) problems.push({ pointer, message: `function ${pinned} does not exist (upload it first)` });
      else if (fn.kind !== kind)
        problems.push({ pointer, message: `${pinned} is a ${fn.kind} function; ${key}: needs a ${kind} function` });
    }
  }
  return problems;
}
