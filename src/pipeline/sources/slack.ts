/**
 * Slack deliveries → source actions. `/assign PROJ-123 [title]` upserts the task with that
 * key; `/assign <free text>` opens a new one; a button under a task's message acknowledges or
 * reassigns it (as a person's override). `/who-is-on-call` never gets here: it is read-only and
 * answered at intake (src/intake/sources/slack-reply.ts).
 */
import type { Integration } from '../../config/model.js';
import type { Member, Roster } from '../../core/index.js';
import {
  assignCommand,
  type SlackAction,
  type SlackCommand,
  type SlackInteraction,
  USAGE,
} from '../../core/slack-command.js';
import { transformToTask, validateTaskShape } from '../task-shape.js';
import type { NormalizeResult, SourceAction, SourceNormalizer } from './types.js';

/** The member whose handles.slack is this Slack user id. */
export function memberBySlackId(roster: Roster, userId: string | undefined): Member | undefined {
  if (!userId) return undefined;
  for (const m of roster.members.values()) if (m.handles.slack === userId) return m;
  return undefined;
}

const ignore = (reason: string): NormalizeResult => ({ ok: true, action: { kind: 'ignore', reason } });
const act = (action: SourceAction): NormalizeResult => ({ ok: true, action });

export const normalizeSlack: SourceNormalizer = (input) => {
  const p = (input.payload ?? {}) as SlackCommand | SlackInteraction;
  if (p.kind === 'command') return command(input.integration, p);
  if (p.kind === 'interaction') return interaction(input.roster, p);
  return { ok: false, reason: 'a Slack delivery is a slash command or an interaction payload' };
};

async function command(integration: Integration, p: SlackCommand): Promise<NormalizeResult> {
  if (p.command !== '/assign') return ignore(`${p.command ?? 'a command without a name'} is not routed`);
  const asked = assignCommand(p.text);
  if (asked.kind === 'usage') return ignore(`/assign without text: ${USAGE}`);
  const externalId = asked.kind === 'key' ? asked.key : `slack:${p.team_id ?? '?'}:${p.trigger_id ?? '?'}`;
  const builtin = { externalId, title: asked.title, ...(p.user_id ? { reporter: p.user_id } : {}) };
  // A transform may replace the mapping (bound as `$task`), as for the other built-in sources.
  const task = integration.transform
    ? await transformToTask(integration, p, { event: 'command', action: 'assign', task: builtin })
    : validateTaskShape(builtin);
  return task.ok ? act({ kind: 'upsert', task: task.task }) : task;
}

function interaction(roster: Roster, p: SlackInteraction): NormalizeResult {
  if (p.type !== 'block_actions') return ignore(`${p.type ?? 'an interaction without a type'} is not routed`);
  const action = p.actions?.[0];
  const by = p.user?.id ?? 'someone';
  const who = memberBySlackId(roster, p.user?.id)?.id ?? p.user?.username ?? by;
  switch (action?.action_id) {
    case 'acknowledge': {
      if (!action.value) return ignore('the acknowledge button carries no task key in its value');
      return act({
        kind: 'close',
        externalId: action.value,
        how: 'acknowledge',
        reason: `acknowledged in Slack by ${who}`,
      });
    }
    case 'reassign':
      return reassign(roster, action, by, who);
    case 'approve':
      return ignore('approvals arrive with workflows');
    default:
      return ignore(`the Slack action ${action?.action_id ?? '(none)'} is not routed`);
  }
}

/**
 * A users_select (`selected_user`; the task key is the block_id) or a button whose value is
 * `<externalId>|<memberId>`.
 */
function reassign(roster: Roster, action: SlackAction, by: string, who: string): NormalizeResult {
  let externalId: string | undefined;
  let member: Member | undefined;
  let wanted: string;
  if (action.selected_user) {
    externalId = action.block_id;
    wanted = action.selected_user;
    member = memberBySlackId(roster, wanted);
  } else {
    const [key, memberId] = (action.value ?? '').split('|');
    externalId = key;
    wanted = memberId ?? '';
    member = memberId ? roster.members.get(memberId) : undefined;
  }
  if (!externalId) return ignore('the reassign action names no task (block_id or value `<key>|<member>`)');
  if (!member) return ignore(`${wanted || 'nobody'} is not a member of this tenant (by id or handles.slack)`);
  return act({
    kind: 'override',
    externalId,
    assignee: member.id,
    actor: `slack:${by}`,
    reason: `reassigned to ${member.id} in Slack by ${who}`,
  });
}
