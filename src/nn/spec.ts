// Architectures are data: a list of layer specs with Keras's names (each layer type declares its
// own spec in its module under layers/). A training spec adds the optimizer, the learning-rate
// schedule and the loss, so a whole run is data too: the four models of the study differ only in
// these numbers, and a custom model written as JSON trains, checkpoints and resumes like them.
import type { LayerSpec } from './layers/index.js';
import type { OptimizerSpec } from '../optim/optimizer.js';
import type { ScheduleSpec } from '../optim/schedule.js';
import type { AugmentationSpec } from './augmentation.js';

export type { LayerSpec };

export type Activation = 'relu' | 'linear' | 'softmax';

export interface ModelSpec {
  name: string;
  /** Per-sample input shape [height, width, channels]. */
  inputShape: [number, number, number];
  layers: LayerSpec[];
}

/** The loss: softmax cross-entropy over the last layer's output (Keras's categorical_crossentropy on a softmax). */
export interface LossSpec {
  type: 'categoricalCrossentropy';
  /**
   * ε in (0, 1): targets (1 - ε)·onehot + ε/classes, as Keras's label_smoothing. Absent when 0.
   * Only the training loss is smoothed; validation and test losses are against the labels.
   */
  labelSmoothing?: number;
}

export interface TrainingSpec extends ModelSpec {
  optimizer: OptimizerSpec;
  schedule: ScheduleSpec;
  loss: LossSpec;
  /** Random transforms of the training images (absent: none). */
  augmentation?: AugmentationSpec;
}

/** Per-sample shape, batch dimension excluded. */
export type Shape = number[];

export function shapeSize(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}
