// The training spec's options that the CLI also takes as flags, so that a named model can be
// augmented or smoothed without writing a spec file: --augment and --label-smoothing.
import { SimdnetError } from '../engine/errors.js';
import { floatFlag } from './args.js';
import type { AugmentationSpec } from '../nn/augmentation.js';
import { withAugmentation, withLabelSmoothing } from '../nn/model-spec.js';
import type { TrainingSpec } from '../nn/spec.js';

const AUGMENT_USAGE = 'translate=N, rotate=DEGREES, scale=F, flip, or none';

/**
 * --augment translate=2,rotate=10,scale=0.1,flip: the fields it names, over the spec's own
 * augmentation ("none" turns it all off). The values are checked where a spec's are.
 */
export function augmentFlag(value: string): Partial<AugmentationSpec> {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new SimdnetError(`--augment expects a comma-separated list of ${AUGMENT_USAGE}, got '${value}'`);
  if (items.length === 1 && items[0] === 'none') return { translate: 0, rotate: 0, scale: 0, flipHorizontal: false };
  const changes: Partial<AugmentationSpec> = {};
  for (const item of items) {
    const [key, text, ...extra] = item.split('=');
    if (key === 'flip' && text === undefined) {
      changes.flipHorizontal = true;
      continue;
    }
    if (key === 'flip' && (text === 'true' || text === 'false') && extra.length === 0) {
      changes.flipHorizontal = text === 'true';
      continue;
    }
    const field = key === 'translate' || key === 'rotate' || key === 'scale' ? key : undefined;
    const number = text === undefined || text.trim() === '' ? NaN : Number(text);
    if (!field || extra.length > 0 || !Number.isFinite(number)) throw new SimdnetError(`--augment: '${item}' is not one of ${AUGMENT_USAGE}`);
    changes[field] = number;
  }
  return changes;
}

/** The spec with --augment and --label-smoothing applied, when given. */
export function withTrainingFlags(spec: TrainingSpec, augment: string | undefined, labelSmoothing: string | undefined): TrainingSpec {
  let out = spec;
  if (augment !== undefined) out = withAugmentation(out, augmentFlag(augment), '--augment');
  if (labelSmoothing !== undefined) out = withLabelSmoothing(out, floatFlag(labelSmoothing, 'label-smoothing', 0, (x) => x >= 0 && x < 1, 'a number in [0, 1)'));
  return out;
}
