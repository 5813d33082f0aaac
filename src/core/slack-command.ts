/**
 * What Slack sends us and what `/assign` means: read at intake (which answers at once when a
 * command is unusable, src/intake/sources/slack-reply.ts) and by the pipeline (which turns the
 * delivery into an action, src/pipeline/sources/slack.ts). Pure text handling, kept here
 * because both of those, siblings, need the same grammar.
 */
/** The form fields of a slash command we read (Slack sends more). */
export interface SlackCommand {
  kind: 'command';
  command?: string;
  text?: string;
  team_id?: string;
  user_id?: string;
  user_name?: string;
  trigger_id?: string;
}

export interface SlackAction {
  action_id?: string;
  block_id?: string;
  type?: string;
  value?: string;
  selected_user?: string;
  action_ts?: string;
}

/** The fields of an interaction payload (block_actions) we read. */
export interface SlackInteraction {
  kind: 'interaction';
  type?: string;
  user?: { id?: string; username?: string; name?: string };
  team?: { id?: string };
  trigger_id?: string;
  container?: { message_ts?: string };
  actions?: SlackAction[];
}

export const ISSUE_KEY = /^[A-Z][A-Z0-9_]+-\d+$/;
const TITLE_MAX = 1000;

export const USAGE =
  'Usage: `/assign PROJ-123 [title]` routes that task; `/assign <what needs doing>` opens a new one; ' +
  '`/who-is-on-call <team>` says who is on call now.';

export type AssignCommand =
  | { kind: 'usage' }
  | { kind: 'key'; key: string; title: string }
  | { kind: 'free'; title: string };

/** What `/assign <text>` asks for. */
export function assignCommand(text: string | undefined): AssignCommand {
  const words = (text ?? '').trim();
  if (words === '') return { kind: 'usage' };
  const [first = '', ...rest] = words.split(/\s+/);
  if (ISSUE_KEY.test(first)) return { kind: 'key', key: first, title: rest.join(' ').slice(0, TITLE_MAX) || first };
  return { kind: 'free', title: words.slice(0, TITLE_MAX) };
}
