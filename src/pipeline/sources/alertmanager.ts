/**
 * Alertmanager notifications → one incident task per alert group. A firing notification
 * creates the task (or reopens it after a resolve; a changed group merges into it), a resolved
 * one closes it and frees its assignee.
 */
import { createHash } from 'node:crypto';
import type { Task } from '../../core/index.js';
import { transformToTask, validateTaskShape } from '../task-shape.js';
import type { NormalizeResult, SourceNormalizer } from './types.js';

/** commonLabels copied into the task's labels as `name:value`, in this order: few, and the same every time. */
export const ALERTMANAGER_LABELS = ['alertname', 'severity', 'team', 'service', 'job', 'namespace', 'cluster'] as const;

/** Severity label → Task priority (1 = most urgent); `none` and unknown severities leave it unset. */
const PRIORITY: Record<string, number> = { critical: 1, high: 2, error: 2, warning: 3, info: 4 };

type Labels = Record<string, string>;

interface Notification {
  groupKey: string;
  status: unknown;
  groupLabels: Labels;
  commonLabels: Labels;
  commonAnnotations: Labels;
  externalURL: string | undefined;
  alerts: { generatorURL?: unknown }[];
}

const record = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** Only string values: label and annotation values are strings in Alertmanager; anything else is noise. */
function labels(v: unknown): Labels {
  return Object.fromEntries(Object.entries(record(v)).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

const nonEmpty = (...values: (string | undefined)[]) => values.find((v) => v !== undefined && v.trim() !== '');

/** The task's key: group keys are long and may hold any character, so a fixed-length digest of it. */
export function alertExternalId(groupKey: string): string {
  return `alert:${createHash('sha256').update(groupKey).digest('hex').slice(0, 24)}`;
}

function read(payload: unknown): Notification | undefined {
  const p = record(payload);
  if (typeof p.groupKey !== 'string' || p.groupKey === '') return undefined;
  return {
    groupKey: p.groupKey,
    status: p.status,
    groupLabels: labels(p.groupLabels),
    commonLabels: labels(p.commonLabels),
    commonAnnotations: labels(p.commonAnnotations),
    externalURL: typeof p.externalURL === 'string' ? p.externalURL : undefined,
    alerts: Array.isArray(p.alerts) ? p.alerts.map(record) : [],
  };
}

/** The built-in mapping; a configured transform replaces it. */
function alertTask(n: Notification): Task {
  const grouped = Object.entries(n.groupLabels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const title = nonEmpty(n.commonAnnotations.summary, n.commonLabels.alertname, grouped, n.groupKey) as string;
  const severity = n.commonLabels.severity?.toLowerCase();
  const firstGenerator = n.alerts.map((a) => a.generatorURL).find((u): u is string => typeof u === 'string');
  const url = nonEmpty(n.externalURL, firstGenerator);
  const component = nonEmpty(n.commonLabels.service, n.commonLabels.job);
  const task: Task = {
    externalId: alertExternalId(n.groupKey),
    title: title.slice(0, 1000),
    type: 'incident',
    labels: ALERTMANAGER_LABELS.filter((k) => nonEmpty(n.commonLabels[k])).map((k) =>
      `${k}:${n.commonLabels[k]}`.slice(0, 100),
    ),
  };
  if (severity !== undefined && PRIORITY[severity] !== undefined) task.priority = PRIORITY[severity];
  if (component !== undefined) task.component = component.slice(0, 200);
  // A URL cut short is a wrong link: leave it out rather than truncate it.
  if (url !== undefined && url.length <= 2000) task.url = url;
  return task;
}

export const normalizeAlertmanager: SourceNormalizer = async ({ integration, payload }): Promise<NormalizeResult> => {
  const n = read(payload);
  if (!n) return { ok: false, reason: 'not an Alertmanager notification: it has no groupKey' };
  if (n.status !== 'firing' && n.status !== 'resolved') {
    return {
      ok: true,
      action: {
        kind: 'ignore',
        reason: `Alertmanager status ${JSON.stringify(n.status)} is neither firing nor resolved`,
      },
    };
  }
  // With a transform, its Task (and so its externalId) is used for both statuses, so a resolve
  // closes exactly the task the firing notification created.
  const shaped = integration.transform
    ? await transformToTask(integration, payload, { status: n.status })
    : validateTaskShape(alertTask(n));
  if (!shaped.ok) return shaped;
  const count = `${n.alerts.length} alert${n.alerts.length === 1 ? '' : 's'}`;
  if (n.status === 'resolved') {
    return {
      ok: true,
      action: {
        kind: 'close',
        externalId: shaped.task.externalId,
        how: 'close',
        reason: `resolved in Alertmanager (${count})`,
      },
    };
  }
  return { ok: true, action: { kind: 'reopen', task: shaped.task, reason: `firing again in Alertmanager (${count})` } };
};
