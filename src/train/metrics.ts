// Summaries of predictions: confusion matrix, per-class accuracy, the most common mistakes.
import type { Misclassification, MisclassifiedExample } from './types.js';

/** rows = true class, columns = predicted class. */
export function confusionMatrix(labels: ArrayLike<number>, predictions: ArrayLike<number>, classes: number): number[][] {
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) matrix[labels[i]][predictions[i]]++;
  return matrix;
}

export function perClassAccuracy(matrix: number[][]): number[] {
  return matrix.map((row, c) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? 0 : row[c] / total;
  });
}

/** Off-diagonal cells of the confusion matrix, largest first (ties by true then predicted class). */
export function topMisclassifications(matrix: number[][], classNames: string[], limit = 10): Misclassification[] {
  const cells: Misclassification[] = [];
  matrix.forEach((row, t) =>
    row.forEach((count, p) => {
      if (t !== p && count > 0) cells.push({ trueClass: t, predictedClass: p, trueName: classNames[t], predictedName: classNames[p], count });
    }),
  );
  cells.sort((a, b) => b.count - a.count || a.trueClass - b.trueClass || a.predictedClass - b.predictedClass);
  return cells.slice(0, limit);
}

/**
 * For each of the top confused pairs, the test images the model got wrong most confidently,
 * with their bytes (`bytesPerImage` = rows·cols·channels of each, NHWC), for galleries.
 */
export function misclassifiedExamples(
  pairs: Misclassification[],
  labels: ArrayLike<number>,
  predictions: ArrayLike<number>,
  confidences: ArrayLike<number>,
  images: Uint8Array,
  bytesPerImage: number,
  perPair = 4,
): MisclassifiedExample[] {
  const examples: MisclassifiedExample[] = [];
  for (const pair of pairs) {
    const found: number[] = [];
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] === pair.trueClass && predictions[i] === pair.predictedClass) found.push(i);
    }
    found.sort((a, b) => confidences[b] - confidences[a] || a - b);
    for (const index of found.slice(0, perPair)) {
      examples.push({
        index,
        trueClass: pair.trueClass,
        predictedClass: pair.predictedClass,
        confidence: confidences[index],
        pixels: Array.from(images.subarray(index * bytesPerImage, (index + 1) * bytesPerImage)),
      });
    }
  }
  return examples;
}
