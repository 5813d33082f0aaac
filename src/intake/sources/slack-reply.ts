/**
 * What Slack shows the person who typed a command or clicked a button. Slack waits 3 seconds
 * for the answer (then shows "operation_timeout"), so:
 * - read-only or unusable requests (`/who-is-on-call`, `/assign` alone, unknown commands) are
 *   answered at once, without storing an event;
 * - everything else is stored first, then the answer waits (at most ~2.2 s) for the pipeline
 *   to settle the event and names the assignee (or queue) with the decision's explanation. If
 *   it has not settled by then: "Received — routing …"; the decision is made all the same.
 * A duplicate (Slack retries with the same trigger_id) is answered from the original event.
 */
import type { Tenant } from '../../config/model.js';
import { onCallAt } from '../../core/schedule/index.js';
import { assignCommand, type SlackCommand, type SlackInteraction, USAGE } from '../../core/slack-command.js';
import type { EventRow } from '../../store/event-store.js';
import type { ReplyBody, ReplyContext, SourceReply } from './types.js';

/** How long the answer may wait for the pipeline, and how often it looks. */
export const SETTLE_WAIT_MS = 2200;
const POLL_MS = 25;
const SETTLED = new Set(['decided', 'merged', 'applied', 'ignored', 'dead']);

type SlackPayload = SlackCommand | SlackInteraction;

/** An ephemeral message (only the requester sees it): the text, and the same as blocks. */
export function message(text: string, context?: string, extra: unknown[] = []): ReplyBody {
  const blocks: unknown[] = [{ type: 'section', text: { type: 'mrkdwn', text } }];
  if (context) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: context }] });
  return { response_type: 'ephemeral', text: context ? `${text}\n${context}` : text, blocks: [...blocks, ...extra] };
}

/** `<@U123> (alice)` when the member has a Slack handle, so Slack shows the person. */
function who(tenant: Tenant, memberId: string): string {
  const slackId = tenant.roster.members.get(memberId)?.handles.slack;
  return slackId ? `<@${slackId}> (${memberId})` : memberId;
}

function whoIsOnCall(text: string | undefined, ctx: ReplyContext): ReplyBody {
  const teams = [...ctx.tenant.roster.teams.values()];
  const scheduled = teams.filter((t) => t.onCall).map((t) => `\`${t.id}\``);
  const known = scheduled.length > 0 ? `Teams with an on-call schedule: ${scheduled.join(', ')}.` : 'No team has one.';
  const id = (text ?? '').trim().replace(/^#/, '');
  if (id === '') return message(`Usage: \`/who-is-on-call <team>\`. ${known}`);
  const team = ctx.tenant.roster.teams.get(id) ?? teams.find((t) => t.name.toLowerCase() === id.toLowerCase());
  if (!team) return message(`There is no team \`${id}\`. ${known}`);
  if (!team.onCall) return message(`Team \`${team.id}\` has no on-call schedule. ${known}`);
  const entries = onCallAt(team.onCall, ctx.clock());
  if (entries.length === 0) return message(`Nobody is on call for \`${team.id}\` now: its rotation has not started.`);
  const lines = entries.map(
    (e) => `• ${e.layer}: ${who(ctx.tenant, e.member)}${e.covering ? ` (covering ${e.covering})` : ''}`,
  );
  return message(`On call for *${team.name}* now:\n${lines.join('\n')}`);
}

function direct(payload: unknown, ctx: ReplyContext): ReplyBody | undefined {
  const p = payload as SlackPayload;
  if (p.kind !== 'command') return undefined;
  if (p.command === '/who-is-on-call') return whoIsOnCall(p.text, ctx);
  if (p.command !== '/assign') return message(`\`${p.command}\` is not a Switchyard command. ${USAGE}`);
  return assignCommand(p.text).kind === 'usage' ? message(USAGE) : undefined;
}

/** The task a request is about, for "Received — routing …". */
function subject(p: SlackPayload): string {
  if (p.kind === 'command') {
    const asked = assignCommand(p.text);
    return asked.kind === 'key' ? asked.key : 'your task';
  }
  const action = p.actions?.[0];
  return (action?.selected_user ? action.block_id : action?.value?.split('|')[0]) || 'your action';
}

async function settledEvent(ctx: ReplyContext, eventId: string): Promise<EventRow | undefined> {
  const deadline = Date.now() + SETTLE_WAIT_MS;
  for (;;) {
    const event = await ctx.store.getEvent(ctx.tenant.id, eventId);
    if (event && SETTLED.has(event.status)) return event;
    if (Date.now() + POLL_MS > deadline) return undefined;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Buttons under an open task: acknowledge (its assignee) and reassign (a users_select; block_id = the key). */
function taskActions(externalId: string, status: string): unknown[] {
  if (!['assigned', 'acknowledged', 'queued'].includes(status)) return [];
  const elements: unknown[] = [];
  if (status === 'assigned') {
    elements.push({
      type: 'button',
      action_id: 'acknowledge',
      text: { type: 'plain_text', text: 'Acknowledge' },
      value: externalId,
    });
  }
  elements.push({
    type: 'users_select',
    action_id: 'reassign',
    placeholder: { type: 'plain_text', text: 'Reassign to…' },
  });
  return [{ type: 'actions', block_id: externalId, elements }];
}

async function answer(p: SlackPayload, event: EventRow, ctx: ReplyContext): Promise<ReplyBody> {
  const key = subject(p);
  if (event.status === 'ignored') return message(`Nothing to do for ${key}: ${event.error ?? 'ignored'}`);
  if (event.status === 'dead') return message(`Could not route ${key}: ${event.error ?? 'unknown error'}`);
  const task = event.taskId ? await ctx.store.getTask(ctx.tenant.id, event.taskId) : undefined;
  const [decision] = event.decisionId ? await ctx.store.getDecisions(ctx.tenant.id, [event.decisionId]) : [];
  if (!task || !decision) return message(`${key}: done.`);
  const head = `*${task.externalId}* ${task.title === task.externalId ? '' : `_${task.title}_ `}`;
  const action = p.kind === 'interaction' ? p.actions?.[0]?.action_id : undefined;
  if (action === 'acknowledge') {
    return message(`${head}— acknowledged (assigned to ${who(ctx.tenant, task.assignee ?? '?')}).`);
  }
  const outcome =
    decision.outcome === 'assigned' && decision.assignee
      ? `assigned to ${who(ctx.tenant, decision.assignee)}`
      : `waiting in the \`${decision.queue ?? '?'}\` queue`;
  const known = event.status === 'merged' ? 'already known: ' : '';
  return message(`${head}— ${known}${outcome}.`, decision.explanation, taskActions(task.externalId, task.status));
}

async function afterAccepted(payload: unknown, eventId: string, ctx: ReplyContext): Promise<ReplyBody> {
  const p = payload as SlackPayload;
  try {
    const event = await settledEvent(ctx, eventId);
    if (event) return await answer(p, event, ctx);
  } catch {
    // The event is stored: the pipeline acts on it whatever this answer says.
  }
  return message(`Received — routing ${subject(p)}…`);
}

export const slackReply: SourceReply = { direct, afterAccepted };
