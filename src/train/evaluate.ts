// Inference over a resident dataset: shared by the Node trainer and the browser's resident model,
// so it imports nothing of Node.
import type { Ptr } from '../engine/kernel-table.js';
import type { Sequential } from '../nn/sequential.js';
import { inferBatches, residentLoader } from '../nn/predict.js';

/** A u8 dataset already copied into wasm memory. */
export interface ResidentImages {
  images: Ptr;
  labels: Ptr;
}

export interface Evaluation {
  loss: number;
  accuracy: number;
  predictions: Int32Array;
  confidences: Float32Array;
}

/**
 * Forward passes in inference mode over `order`, in batches of the model's largest (the loop of
 * predict, nn/predict.ts, gathering from wasm memory); loss is the mean cross-entropy.
 */
export function evaluate(model: Sequential, data: ResidentImages, order: Int32Array): Evaluation {
  const n = order.length;
  const predictions = new Int32Array(n);
  const confidences = new Float32Array(n);
  let lossSum = 0;
  let correct = 0;
  inferBatches(model, n, residentLoader(model, data.images, data.labels, order), (start, count, loss) => {
    lossSum += loss;
    correct += model.correct(count);
    const probs = model.engine.f32(model.probs, count * model.classes);
    for (let i = 0; i < count; i++) {
      let best = 0;
      for (let c = 1; c < model.classes; c++) if (probs[i * model.classes + c] > probs[i * model.classes + best]) best = c;
      predictions[start + i] = best;
      confidences[start + i] = probs[i * model.classes + best];
    }
  });
  return { loss: n ? lossSum / n : 0, accuracy: n ? correct / n : 0, predictions, confidences };
}

/** [from, to) as sample indices. */
export function range(from: number, to: number): Int32Array {
  const order = new Int32Array(Math.max(0, to - from));
  for (let i = 0; i < order.length; i++) order[i] = from + i;
  return order;
}
