/**
 * The `fields:` option of a jira integration: which Jira field fills which Task field. It lives
 * apart from the pipeline so the config checks and the normalizer share one list.
 */
import type { TaskField } from '../core/task.js';

/** Task fields a Jira field may fill. externalId (the issue key) and requestedAssignee (the Jira assignee) are fixed. */
export const JIRA_MAPPABLE_FIELDS = [
  'title',
  'type',
  'priority',
  'labels',
  'component',
  'customerTier',
  'dueAt',
  'reporter',
  'relatedTo',
] as const satisfies readonly TaskField[];
export type JiraMappableField = (typeof JIRA_MAPPABLE_FIELDS)[number];

/** Task field → Jira field id, e.g. { customerTier: 'customfield_10042', dueAt: 'duedate' }. */
export type JiraFieldMap = Readonly<Partial<Record<JiraMappableField, string>>>;

/** A custom field (customfield_10042) or a system field id (duedate, environment, fixVersions). */
export const JIRA_FIELD_ID = /^(customfield_[0-9]+|[a-z][A-Za-z0-9]*)$/;
