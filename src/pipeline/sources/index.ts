import type { IntegrationType } from '../../config/model.js';
import { normalizeGeneric } from './generic.js';
import type { SourceNormalizer } from './types.js';

export const NORMALIZERS: Readonly<Record<IntegrationType, SourceNormalizer>> = {
  generic: normalizeGeneric,
};
export type { NormalizeResult, SourceAction, SourceInput, SourceNormalizer } from './types.js';
