// What a training run produces: the CLI prints it, `--json` emits it, the study collects it,
// and the report draws it.
import type { TrainingSpec } from '../nn/spec.js';

/** Progress within an epoch, after every batch. */
export interface BatchProgress {
  epoch: number;
  /** Batches done, 1-based. */
  batch: number;
  batches: number;
  /** Samples done this epoch. */
  samples: number;
  /** Running mean of this epoch's loss and accuracy. */
  loss: number;
  accuracy: number;
  /** Since the epoch started. */
  seconds: number;
}

export interface EpochRecord {
  epoch: number; // 1-based
  trainLoss: number;
  trainAccuracy: number; // 0..1
  valLoss: number | null; // null without a validation split
  valAccuracy: number | null;
  seconds: number;
}

export interface Misclassification {
  trueClass: number;
  predictedClass: number;
  trueName: string;
  predictedName: string;
  count: number;
}

export interface MisclassifiedExample {
  index: number; // into the test set
  trueClass: number;
  predictedClass: number;
  confidence: number; // probability of the predicted class
  /** The image's bytes, rows·cols·channels of the run's spec.inputShape, row-major, channels last. */
  pixels: number[];
}

/** One augmented version of a test image, with the draws that made it. */
export interface AugmentedVersion {
  /** Bytes as the image's (rounded from the kernel's f32 output, clamped to 0..255). */
  pixels: number[];
  shift: [number, number];
  degrees: number;
  zoom: number;
  mirror: boolean;
}

/** A test image and versions of it as the run's augmentation drew them (the report's gallery). */
export interface AugmentedExample {
  index: number; // into the test set
  pixels: number[];
  versions: AugmentedVersion[];
}

export interface RunResult {
  model: string;
  /** The whole training spec the run used: model, optimizer, schedule and loss. */
  spec: TrainingSpec;
  dataset: string;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  threads: number;
  fma: boolean;
  trainSamples: number;
  validationSamples: number;
  classNames: string[];
  history: EpochRecord[];
  trainSeconds: number;
  testAccuracy: number; // 0..1
  testLoss: number;
  confusionMatrix: number[][]; // [true][predicted]
  perClassAccuracy: number[];
  topMisclassifications: Misclassification[];
  misclassifiedExamples: MisclassifiedExample[];
  /** Present when the run augmented its training images. */
  augmentedExample?: AugmentedExample;
}
