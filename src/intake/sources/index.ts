import type { IntegrationType } from '../../config/model.js';
import { generic } from './generic.js';
import type { SourceAdapter } from './types.js';

/** Every source type and its adapter; the config schema's integration types come from here. */
export const SOURCES: Readonly<Record<IntegrationType, SourceAdapter>> = {
  generic,
};
export type { Delivery, SourceAdapter, Verified, VerifyFailure } from './types.js';
