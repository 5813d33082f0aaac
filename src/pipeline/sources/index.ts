import type { IntegrationType } from '../../config/model.js';
import { normalizeAlertmanager } from './alertmanager.js';
import { normalizeGeneric } from './generic.js';
import { normalizeGithub } from './github.js';
import { normalizeJira } from './jira.js';
import { normalizeSlack } from './slack.js';
import type { SourceNormalizer } from './types.js';

export const NORMALIZERS: Readonly<Record<IntegrationType, SourceNormalizer>> = {
  generic: normalizeGeneric,
  alertmanager: normalizeAlertmanager,
  github: normalizeGithub,
  jira: normalizeJira,
  slack: normalizeSlack,
};
export type { NormalizeResult, SourceAction, SourceInput, SourceNormalizer } from './types.js';
