// The report's charts as Vega-Lite specs: data in, spec out, nothing drawn here. render.ts turns
// a spec into SVG. Every chart carries a title naming its model and dataset, which the report's
// browser test looks for.
import type { TopLevelSpec } from 'vega-lite';
import type { RunResult } from '../train/types.js';
import { imagePngDataUrl } from './image-png.js';
import { describeAugmentation } from '../nn/augmentation.js';

const FONT = 'system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif';

const config = {
  font: FONT,
  background: 'white',
  view: { stroke: '#ddd' },
  title: { fontSize: 14, anchor: 'start' as const, offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 11, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 11 },
};

export interface ChartNames {
  /** Display name of each dataset, e.g. "Fashion-MNIST" for fashion-mnist. */
  dataset(name: string): string;
}

const runTitle = (r: RunResult, names: ChartNames, what: string) => `${r.model} on ${names.dataset(r.dataset)}: ${what}`;

/** Training and validation accuracy and loss per epoch, for one run. */
export function curvesSpec(run: RunResult, names: ChartNames): TopLevelSpec {
  const rows = run.history.flatMap((h) => [
    { epoch: h.epoch, split: 'training', metric: 'accuracy', value: h.trainAccuracy },
    { epoch: h.epoch, split: 'training', metric: 'loss', value: h.trainLoss },
    ...(h.valAccuracy === null ? [] : [{ epoch: h.epoch, split: 'validation', metric: 'accuracy', value: h.valAccuracy }]),
    ...(h.valLoss === null ? [] : [{ epoch: h.epoch, split: 'validation', metric: 'loss', value: h.valLoss }]),
  ]);
  const panel = (metric: 'accuracy' | 'loss') => ({
    title: metric === 'accuracy' ? 'Accuracy' : 'Loss (cross-entropy)',
    width: 260,
    height: 180,
    transform: [{ filter: { field: 'metric', equal: metric } }],
    mark: { type: 'line' as const, point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative' as const, title: 'epoch', axis: { tickMinStep: 1 }, scale: { domainMin: 1 } },
      y: {
        field: 'value',
        type: 'quantitative' as const,
        title: metric,
        scale: { zero: false },
        ...(metric === 'accuracy' ? { axis: { format: '.0%' } } : {}),
      },
      color: { field: 'split', type: 'nominal' as const, title: null, scale: { domain: ['training', 'validation'], range: ['#4c78a8', '#f58518'] } },
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: runTitle(run, names, 'accuracy and loss per epoch'),
    data: { values: rows },
    hconcat: [panel('accuracy'), panel('loss')],
    config,
  };
}

/** Every model trained on one dataset, side by side: validation (solid) and training (dashed) curves. */
export function compareSpec(dataset: string, runs: RunResult[], names: ChartNames): TopLevelSpec {
  const rows = runs.flatMap((r) =>
    r.history.flatMap((h) => [
      { model: r.model, epoch: h.epoch, split: 'training', metric: 'accuracy', value: h.trainAccuracy },
      { model: r.model, epoch: h.epoch, split: 'training', metric: 'loss', value: h.trainLoss },
      ...(h.valAccuracy === null ? [] : [{ model: r.model, epoch: h.epoch, split: 'validation', metric: 'accuracy', value: h.valAccuracy }]),
      ...(h.valLoss === null ? [] : [{ model: r.model, epoch: h.epoch, split: 'validation', metric: 'loss', value: h.valLoss }]),
    ]),
  );
  const panel = (metric: 'accuracy' | 'loss') => ({
    title: metric === 'accuracy' ? 'Accuracy' : 'Loss (cross-entropy)',
    width: 260,
    height: 200,
    transform: [{ filter: { field: 'metric', equal: metric } }],
    mark: { type: 'line' as const, point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative' as const, title: 'epoch', axis: { tickMinStep: 1 }, scale: { domainMin: 1 } },
      y: { field: 'value', type: 'quantitative' as const, title: metric, scale: { zero: false }, ...(metric === 'accuracy' ? { axis: { format: '.0%' } } : {}) },
      color: { field: 'model', type: 'nominal' as const, title: 'model', sort: runs.map((r) => r.model) },
      strokeDash: { field: 'split', type: 'nominal' as const, title: null, scale: { domain: ['validation', 'training'], range: [[1, 0], [4, 3]] } },
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    // The legend shows points for both splits, so the title says which line is which.
    title: `${names.dataset(dataset)}: ${runs.map((r) => r.model).join(' vs ')}, accuracy and loss per epoch (validation solid, training dashed)`,
    data: { values: rows },
    hconcat: [panel('accuracy'), panel('loss')],
    config,
  };
}

/** Test-set confusion matrix: counts in every cell, colour by the share of the true class's row. */
export function confusionSpec(run: RunResult, names: ChartNames): TopLevelSpec {
  const classes = run.classNames;
  const rows = run.confusionMatrix.flatMap((row, t) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    return row.map((count, p) => ({ true: classes[t], predicted: classes[p], count, share: count / total }));
  });
  const axis = { sort: classes, type: 'ordinal' as const };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: runTitle(run, names, 'confusion matrix (test set)'),
    // One ARIA label per cell would double the file; the counts are in the text marks.
    description: `Confusion matrix of ${run.model} on ${names.dataset(run.dataset)}: rows are true classes, columns predicted classes, cells count test images.`,
    data: { values: rows },
    width: { step: 44 },
    height: { step: 30 },
    encoding: {
      x: { field: 'predicted', ...axis, title: 'predicted class', axis: { labelAngle: -35, orient: 'top' as const } },
      y: { field: 'true', ...axis, title: 'true class' },
    },
    layer: [
      {
        mark: { type: 'rect', aria: false },
        encoding: { color: { field: 'share', type: 'quantitative', title: 'share of row', scale: { scheme: 'blues', domain: [0, 1] }, legend: { format: '.0%' } } },
      },
      {
        mark: { type: 'text', fontSize: 11, aria: false },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: 'datum.share > 0.5', value: 'white' }, value: '#222' },
        },
      },
    ],
    config,
  };
}

/** The top confused pairs, each with the test images the model got wrong most confidently. */
export function gallerySpec(run: RunResult, names: ChartNames): TopLevelSpec {
  const [height, width, channels] = run.spec.inputShape;
  const counts = new Map(run.topMisclassifications.map((m) => [`${m.trueClass}:${m.predictedClass}`, m.count]));
  const rank = new Map<string, number>();
  const rows = run.misclassifiedExamples.map((e) => {
    const key = `${e.trueClass}:${e.predictedClass}`;
    const r = (rank.get(key) ?? 0) + 1;
    rank.set(key, r);
    return {
      pair: `${run.classNames[e.trueClass]} → ${run.classNames[e.predictedClass]} (${counts.get(key) ?? 0} in all)`,
      rank: r,
      url: imagePngDataUrl(e.pixels, height, width, channels),
      caption: `${(e.confidence * 100).toFixed(0)}% · #${e.index}`,
      index: e.index,
    };
  });
  const pairs = [...new Set(rows.map((r) => r.pair))];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: runTitle(run, names, 'most common misclassifications'), subtitle: 'true → predicted (count); under each test image: the confidence of the wrong prediction and the test-set index' },
    data: { values: rows.length ? rows : [{ pair: 'no misclassified test images', rank: 1, url: '', caption: '', index: -1 }] },
    width: { step: 72 },
    height: { step: 84 },
    encoding: {
      x: { field: 'rank', type: 'ordinal', title: null, axis: null },
      y: { field: 'pair', type: 'ordinal', title: 'true → predicted', sort: pairs, axis: { labelLimit: 320, ticks: false, domain: false } },
    },
    layer: [
      { mark: { type: 'image', width: 56, height: 56, smooth: false, aria: false, yOffset: -6 }, encoding: { url: { field: 'url', type: 'nominal' } } },
      { mark: { type: 'text', fontSize: 10, yOffset: 30, aria: false }, encoding: { text: { field: 'caption', type: 'nominal' } } },
    ],
    config: { ...config, view: { stroke: null } },
  };
}

/** A test image and the versions of it the run's augmentation draws (runs that augment only). */
export function augmentationSpec(run: RunResult, names: ChartNames, example: NonNullable<RunResult['augmentedExample']>): TopLevelSpec {
  const [height, width, channels] = run.spec.inputShape;
  const augmentation = run.spec.augmentation;
  const signed = (x: number) => (x > 0 ? `+${x}` : String(x));
  const rows = [
    { rank: 0, url: imagePngDataUrl(example.pixels, height, width, channels), caption: `test #${example.index}`, detail: 'as it is' },
    ...example.versions.map((v, i) => ({
      rank: i + 1,
      url: imagePngDataUrl(v.pixels, height, width, channels),
      caption: `(${signed(v.shift[0])}, ${signed(v.shift[1])}) px`,
      detail: [augmentation?.rotate ? `${v.degrees.toFixed(1)}°` : '', augmentation?.scale ? `×${v.zoom.toFixed(2)}` : '', v.mirror ? 'mirror' : ''].filter(Boolean).join(' · '),
    })),
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: runTitle(run, names, 'training images as augmented'),
      subtitle: `a test image, then ${example.versions.length} versions drawn by the training kernel (${augmentation ? describeAugmentation(augmentation) : ''}); under each: its shift, rotation, zoom and mirroring`,
    },
    data: { values: rows },
    width: { step: 116 },
    height: 110,
    encoding: { x: { field: 'rank', type: 'ordinal', title: null, axis: null } },
    layer: [
      { mark: { type: 'image', width: 64, height: 64, smooth: false, aria: false }, encoding: { y: { value: 36 }, url: { field: 'url', type: 'nominal' } } },
      { mark: { type: 'text', fontSize: 10, aria: false }, encoding: { y: { value: 82 }, text: { field: 'caption', type: 'nominal' } } },
      { mark: { type: 'text', fontSize: 10, aria: false }, encoding: { y: { value: 96 }, text: { field: 'detail', type: 'nominal' } } },
    ],
    config: { ...config, view: { stroke: null } },
  };
}

/** Seconds of every epoch, per model, one panel per dataset. */
export function epochTimeSpec(results: RunResult[], names: ChartNames): TopLevelSpec {
  const rows = results.flatMap((r) => r.history.map((h) => ({ model: r.model, dataset: names.dataset(r.dataset), epoch: h.epoch, seconds: h.seconds })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Training time per epoch',
    data: { values: rows },
    facet: { column: { field: 'dataset', type: 'nominal', title: null, sort: [...new Set(rows.map((r) => r.dataset))] } },
    spec: {
      width: 240,
      height: 180,
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'epoch', type: 'ordinal', title: 'epoch', axis: { labelAngle: 0 } },
        xOffset: { field: 'model', type: 'nominal', sort: [...new Set(results.map((r) => r.model))] },
        y: { field: 'seconds', type: 'quantitative', title: 'seconds' },
        color: { field: 'model', type: 'nominal', title: 'model', sort: [...new Set(results.map((r) => r.model))] },
        tooltip: [{ field: 'model' }, { field: 'epoch' }, { field: 'seconds', format: '.1f' }],
      },
    },
    config,
  };
}

function perRunBars(results: RunResult[], names: ChartNames, title: string, field: 'seconds' | 'accuracy'): TopLevelSpec {
  const rows = results.map((r) => ({
    model: r.model,
    dataset: names.dataset(r.dataset),
    seconds: r.trainSeconds,
    accuracy: r.testAccuracy,
    label: field === 'seconds' ? `${r.trainSeconds.toFixed(1)} s` : `${(r.testAccuracy * 100).toFixed(1)}%`,
  }));
  const models = [...new Set(results.map((r) => r.model))];
  const datasets = [...new Set(rows.map((r) => r.dataset))];
  const y =
    field === 'seconds'
      ? { field: 'seconds', type: 'quantitative' as const, title: 'seconds of training (all epochs)' }
      : { field: 'accuracy', type: 'quantitative' as const, title: 'test accuracy', axis: { format: '.0%' }, scale: { domain: [0, 1] } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values: rows },
    width: { step: 36 * Math.max(1, datasets.length) },
    height: 200,
    encoding: {
      x: { field: 'model', type: 'nominal', sort: models, title: 'model', axis: { labelAngle: 0 } },
      xOffset: { field: 'dataset', type: 'nominal', sort: datasets },
      y,
    },
    layer: [
      { mark: { type: 'bar' }, encoding: { color: { field: 'dataset', type: 'nominal', title: 'dataset', sort: datasets } } },
      { mark: { type: 'text', dy: -6, fontSize: 10 }, encoding: { text: { field: 'label', type: 'nominal' } } },
    ],
    config,
  };
}

export const totalTimeSpec = (results: RunResult[], names: ChartNames) => perRunBars(results, names, 'Total training time per model and dataset', 'seconds');
export const accuracySpec = (results: RunResult[], names: ChartNames) => perRunBars(results, names, 'Test accuracy per model and dataset', 'accuracy');
