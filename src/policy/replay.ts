/**
 * Replay --verify: every recorded automatic decision is decided again from what it recorded —
 * its task, its snapshot, its `now` (created_at), the policy version it names (the stored
 * document, rebuilt), and the answers its custom functions gave — and must come out the same
 * (invariant 3). Two independent checks per decision:
 * - the input hash recomputed over the stored task, snapshot, version and `now` must equal the
 *   stored one; a difference means the input was edited after the decision was made;
 * - decide() must reproduce outcome, assignee, queue, route, strategy, escalation, boost,
 *   candidates with their scores, routes tried and the explanation.
 * The version document must still hash to its id, or it was edited too. Nothing is written.
 *
 * `decideImpl` replaces decide() for tests (a negative control with a strategy that picks
 * differently); production code always uses the pure decide().
 */
import { policyVersionOf, type RoutingDocument } from '../config/tenant.js';
import { canonicalJson, type Decision, decide } from '../core/index.js';
import { inputHash } from '../crypto/input-hash.js';
import { decideWithFunctions } from '../functions/decide-with-functions.js';
import type { FunctionHost } from '../functions/function-host.js';
import type { FunctionCallRecord } from '../functions/types.js';
import type { RecordedDecision } from '../store/recorded-decision-store.js';
import { type RecordedSource, recordedAnswers, recordedDecisions, VersionRoutings } from './recorded-input.js';
import { SKIP_NO_TASK } from './simulate.js';

export type DecideImpl = typeof decide;

export interface FieldMismatch {
  field: string;
  recorded: unknown;
  replayed: unknown;
}

export interface ReplayMismatch {
  decisionId: string;
  eventId: string | null;
  taskId: string;
  externalId: string | null;
  policyVersion: string;
  at: string;
  fields: FieldMismatch[];
}

export interface ReplayReport {
  tenant: string;
  /** Decisions decided again (skipped ones not included). */
  checked: number;
  reproduced: number;
  mismatched: number;
  skipped: { reason: string; count: number }[];
  mismatches: ReplayMismatch[];
  /** The limit was reached before the end of the window. */
  truncated: boolean;
}

export interface ReplayOptions {
  tenantId: string;
  /** Only decisions made at or after this instant (RFC 3339 with milliseconds, UTC). */
  since?: string;
  until?: string;
  /** At most this many decisions (default: all). */
  limit?: number;
  decideImpl?: DecideImpl;
  pageSize?: number;
  /**
   * Runs sandboxed functions again (the version that decided, on the same input) and checks
   * they answer as recorded; remote answers are taken from the record. Without it, every
   * recorded answer is fed back as it is.
   */
  functions?: FunctionHost;
}

/** What the input hash difference means, for people. */
export const INPUT_EDITED = 'input edited: the stored task or snapshot differs from what was hashed when deciding';

export async function replayVerify(source: RecordedSource, o: ReplayOptions): Promise<ReplayReport> {
  const decideImpl = o.decideImpl ?? decide;
  const versions = new VersionRoutings(source, o.tenantId);
  const window = { ...(o.since ? { from: o.since } : {}), ...(o.until ? { to: o.until } : {}) };
  const read = recordedDecisions(source, o.tenantId, window, o.limit ?? Number.POSITIVE_INFINITY, o.pageSize);
  const skips = new Map<string, number>();
  const skip = (reason: string) => skips.set(reason, (skips.get(reason) ?? 0) + 1);
  const mismatches: ReplayMismatch[] = [];
  let checked = 0;
  for await (const page of read.pages) {
    for (const rec of page) {
      if (rec.task === null) {
        skip(SKIP_NO_TASK);
        continue;
      }
      const version = await versions.get(rec.policyVersion);
      if (!version) {
        skip(`policy version ${rec.policyVersion} is not in the store`);
        continue;
      }
      checked++;
      const fields: FieldMismatch[] = [];
      if ('error' in version) {
        mismatches.push(
          mismatchOf(rec, [{ field: 'policyDocument', recorded: rec.policyVersion, replayed: version.error }]),
        );
        continue;
      }
      if (!version.hashMatches) {
        fields.push({
          field: 'policyDocument',
          recorded: rec.policyVersion,
          replayed: policyVersionOf(version.routing.policyDocument as RoutingDocument),
        });
      }
      const now = new Date(rec.createdAt);
      const hash = inputHash(rec.task, rec.snapshot, rec.policyVersion, now);
      if (hash !== rec.inputHash) fields.push({ field: 'inputHash', recorded: rec.inputHash, replayed: hash });
      let decision: Decision | undefined;
      try {
        const recordedCalls = (rec.detail.functions ?? []) as unknown as FunctionCallRecord[];
        if (
          o.functions &&
          !o.decideImpl &&
          recordedCalls.some((c) => c.runtime !== 'remote' && c.step !== 'transform')
        ) {
          const again = await decideWithFunctions(rec.task, rec.snapshot, version.routing.compiled, now, {
            tenantId: o.tenantId,
            host: o.functions,
            known: recordedCalls,
            offline: true,
            rerunSandboxed: true,
          });
          decision = again.decision;
          fields.push(...compareCalls(recordedCalls, again.calls));
        } else {
          decision = decideImpl(rec.task, rec.snapshot, version.routing.compiled, now, recordedAnswers(rec.detail));
        }
      } catch (e) {
        fields.push({ field: 'decide', recorded: 'a decision', replayed: `error: ${(e as Error).message}` });
      }
      if (decision) fields.push(...compareWithRecord(rec, decision));
      if (fields.length) mismatches.push(mismatchOf(rec, fields));
    }
  }
  return {
    tenant: o.tenantId,
    checked,
    reproduced: checked - mismatches.length,
    mismatched: mismatches.length,
    skipped: [...skips].map(([reason, count]) => ({ reason, count })),
    mismatches,
    truncated: read.truncated(),
  };
}

/** A sandboxed function that answers differently on the same input is a mismatch (`functions.<step>`). */
function compareCalls(recorded: FunctionCallRecord[], again: FunctionCallRecord[]): FieldMismatch[] {
  const out: FieldMismatch[] = [];
  for (const call of again) {
    const was = recorded.find((c) => c.step === call.step);
    const shape = (c: FunctionCallRecord | undefined) =>
      c && {
        version: `${c.name}@${c.version}`,
        contentHash: c.contentHash,
        inputHash: c.inputHash,
        outcome: c.outcome,
        value: c.value,
      };
    if (canonicalJson(shape(was) ?? null) !== canonicalJson(shape(call))) {
      out.push({ field: `functions.${call.step}`, recorded: shape(was) ?? null, replayed: shape(call) });
    }
  }
  return out;
}

function mismatchOf(rec: RecordedDecision, fields: FieldMismatch[]): ReplayMismatch {
  return {
    decisionId: rec.id,
    eventId: rec.eventId,
    taskId: rec.taskId,
    externalId: rec.task?.externalId ?? null,
    policyVersion: rec.policyVersion,
    at: rec.createdAt,
    fields,
  };
}

/** Pure: every recorded field the replayed decision does not reproduce. */
export function compareWithRecord(rec: RecordedDecision, d: Decision): FieldMismatch[] {
  const pairs: [string, unknown, unknown][] = [
    ['outcome', rec.outcome, d.outcome],
    ['assignee', rec.assignee, d.assignee],
    ['queue', rec.queue, d.queue],
    ['route', rec.route, d.route],
    ['strategy', rec.strategy, d.strategy],
    ['policyVersion', rec.policyVersion, d.policyVersion],
    ['escalated', rec.detail.escalated ?? false, d.escalated ?? false],
    ['boost', rec.detail.boost ?? 0, d.boost ?? 0],
    ['candidates', rec.detail.candidates ?? [], d.candidates],
    ['routesTried', rec.detail.routesTried ?? [], d.routesTried],
    ['explanation', rec.explanation, d.explanation],
  ];
  return pairs
    .filter(([, recorded, replayed]) => canonicalJson(recorded) !== canonicalJson(replayed))
    .map(([field, recorded, replayed]) => ({ field, recorded, replayed }));
}

/** A mismatch report for a terminal: one block per decision, one line per field. */
export function formatReplay(r: ReplayReport): string {
  const skipped = r.skipped.reduce((n, s) => n + s.count, 0);
  const lines = [
    `${r.mismatched ? 'FAIL' : 'ok  '}  ${r.tenant}: checked ${r.checked}, reproduced ${r.reproduced}, mismatched ${r.mismatched}, skipped ${skipped}${r.truncated ? ' (limit reached)' : ''}`,
  ];
  for (const s of r.skipped) lines.push(`      skipped ${s.count}: ${s.reason}`);
  for (const m of r.mismatches) {
    lines.push(
      `  mismatch: decision ${m.decisionId} (event ${m.eventId ?? 'none: backlog'}, task ${m.externalId}, ${m.policyVersion}, ${m.at})`,
    );
    for (const f of m.fields) {
      const note = f.field === 'inputHash' ? `  ← ${INPUT_EDITED}` : '';
      lines.push(`      ${f.field}: ${short(f.recorded)} → ${short(f.replayed)}${note}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function short(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 300 ? `${s.slice(0, 297)}…` : s;
}
