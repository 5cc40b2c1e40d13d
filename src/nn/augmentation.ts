// Data augmentation as part of the training spec: what a user may ask for, checked in one place
// (a --spec file, the CLI's --augment, a web page's spec, a checkpoint's header), and the one call
// that applies it to a gathered batch (assembly/augment.ts). Only training steps augment; the
// validation, test and prediction passes see the images as they are.
import type { Kernels, Ptr } from '../engine/kernel-table.js';
import { fail, isObject } from './layers/fields.js';

/** Per-sample random transforms of the training images; a field left out is off. */
export interface AugmentationSpec {
  /** Largest shift in whole pixels along each axis, uniform in [-translate, translate]. */
  translate: number;
  /** Largest rotation in degrees, uniform in [-rotate, rotate). */
  rotate: number;
  /** Largest relative zoom, uniform in [1 - scale, 1 + scale). */
  scale: number;
  /** Mirror left-right with probability 1/2 (for clothes, not for digits). */
  flipHorizontal: boolean;
}

export const AUGMENTATION_LIMITS = { translate: 4, rotate: 30, scale: 0.3 } as const;
const FIELDS = ['translate', 'rotate', 'scale', 'flipHorizontal'];

/**
 * Which stream of the run's seed keys the draws (deriveSeed's stream number): init is 0, the
 * shuffle 1, dropout 2.
 */
export const AUGMENT_SEED_STREAM = 3;

function numberIn(value: unknown, max: number, where: string, field: string, integer: boolean): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max || (integer && !Number.isInteger(value))) {
    fail(where, `${field} must be ${integer ? 'an integer' : 'a number'} from 0 to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * An augmentation from untrusted data, every field checked; undefined when nothing is on (so a
 * spec that asks for none is the same spec as one without the field, and resumes as it).
 */
export function parseAugmentation(raw: unknown, where: string): AugmentationSpec | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw)) fail(where, `augmentation must be an object such as {"translate": 2, "rotate": 10}, got ${JSON.stringify(raw)}`);
  for (const key of Object.keys(raw)) if (!FIELDS.includes(key)) fail(where, `unknown field '${key}' (expected ${FIELDS.join(', ')})`);
  const flip = raw.flipHorizontal ?? false;
  if (typeof flip !== 'boolean') fail(where, `flipHorizontal must be true or false, got ${JSON.stringify(raw.flipHorizontal)}`);
  const spec: AugmentationSpec = {
    translate: numberIn(raw.translate, AUGMENTATION_LIMITS.translate, where, 'translate', true),
    rotate: numberIn(raw.rotate, AUGMENTATION_LIMITS.rotate, where, 'rotate', false),
    scale: numberIn(raw.scale, AUGMENTATION_LIMITS.scale, where, 'scale', false),
    flipHorizontal: flip,
  };
  return spec.translate || spec.rotate || spec.scale || spec.flipHorizontal ? spec : undefined;
}

/** A short description for reports and logs: "shift ±2 px, rotate ±10°, zoom ±10%, mirror". */
export function describeAugmentation(spec: AugmentationSpec): string {
  const parts: string[] = [];
  if (spec.translate) parts.push(`shift ±${spec.translate} px`);
  if (spec.rotate) parts.push(`rotate ±${spec.rotate}°`);
  if (spec.scale) parts.push(`zoom ±${+(spec.scale * 100).toFixed(2)}%`);
  if (spec.flipHorizontal) parts.push('mirror');
  return parts.join(', ');
}

/** Where a batch is augmented: the images as gathered, the output, its shape, the stream key. */
export interface AugmentBuffers {
  source: Ptr;
  output: Ptr;
  /** 16 bytes seeded by rngSeed; only its key is read. */
  state: Ptr;
  shape: readonly [number, number, number];
}

/** Augments `count` images at optimizer step `step` (the counter of every draw, with the sample's index). */
export function augmentBatch(kernels: Kernels, spec: AugmentationSpec, buffers: AugmentBuffers, count: number, step: number): void {
  const [height, width, channels] = buffers.shape;
  kernels.augmentImages(buffers.source, buffers.output, buffers.state, count, height, width, channels, spec.translate, spec.rotate, spec.scale, spec.flipHorizontal ? 1 : 0, step, 0);
}
