import type { IntegrationType } from '../../config/model.js';
import { alertmanager } from './alertmanager.js';
import { generic } from './generic.js';
import { github } from './github.js';
import { jira } from './jira.js';
import { slack } from './slack.js';
import type { SourceAdapter } from './types.js';

/** Every source type and its adapter; the config schema's integration types come from here. */
export const SOURCES: Readonly<Record<IntegrationType, SourceAdapter>> = {
  generic,
  alertmanager,
  github,
  jira,
  slack,
};
export type { Delivery, SourceAdapter, Verified, VerifyFailure } from './types.js';
