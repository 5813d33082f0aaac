/**
 * What a delivery means: each source type's normalizer in src/pipeline/sources maps its
 * payload to an upsert, a close, an override or an ignore (with the reason).
 */
import { NORMALIZERS } from './sources/index.js';
import type { NormalizeResult, SourceInput } from './sources/types.js';

export async function normalize(input: SourceInput): Promise<NormalizeResult> {
  return NORMALIZERS[input.integration.type](input);
}
