// simdnet bench: training samples per second of one model, for comparing machines and builds.
import { intFlag, parseFlags } from './args.js';
import { ALL_CORES, DATASET_NAMES, chooseSpec, commonOptions, createEngine, emitJson } from './common.js';
import { chooseData, dataOptions, fitSpec, loadData } from './data-flags.js';
import { checkModelAgainstData } from '../train/trainer.js';
import { MODEL_NAMES } from '../nn/models.js';
import { measureThroughput } from '../train/throughput.js';
import { describeMachine } from '../util/machine.js';

export const benchHelp = `Usage: simdnet bench --model <${MODEL_NAMES.join('|')}> [options]
       simdnet bench --spec FILE.json [options]

Times training steps (forward, backward, optimizer) of batch 64 after a warm-up and prints samples/s
and the projected seconds per epoch of the training set (the median of several repeats). A named
model takes the data's image shape and class count.

Options:
  --dataset NAME      images to train on: ${DATASET_NAMES.join(' or ')} (default mnist)
  --data DIR          or a folder of your own (IDX files, or PNGs in train/<class>/; see train --help)
  --test-split F      without a test set in DIR, the fraction of each class left out (default 0.2)
  --threads N         threads (default: every core)
  --batches K         timed steps per repeat (default 30)
  --repeats R         repeats; the median is reported (default 5)
  --batch-size N      (default 64)
  --data-dir DIR      folder holding mnist/ and fashion-mnist/
  --fma auto|on|off   relaxed-SIMD FMA kernels (default auto)
  --json              print the result as one JSON line`;

export async function runBench(argv: string[]): Promise<void> {
  const { values } = parseFlags('bench', argv, {
    ...commonOptions,
    ...dataOptions,
    model: { type: 'string' },
    spec: { type: 'string' },
    batches: { type: 'string' },
    repeats: { type: 'string' },
    'batch-size': { type: 'string' },
  });
  if (values.help) return void console.log(benchHelp);
  const chosen = chooseSpec(values.model as string | undefined, values.spec as string | undefined, undefined);
  const data = chooseData(values, 'mnist');
  const batches = intFlag(values.batches as string | undefined, 'batches', 30);
  const repeats = intFlag(values.repeats as string | undefined, 'repeats', 5);
  const batchSize = intFlag(values['batch-size'] as string | undefined, 'batch-size', 64);
  const dataset = await loadData(data, values['data-dir'] as string | undefined);
  const datasetName = dataset.name;
  const spec = fitSpec(chosen, values.model !== undefined, dataset);
  checkModelAgainstData(spec, dataset);
  const engine = await createEngine(values.fma as string | undefined, values.threads as string | undefined, ALL_CORES);
  const result = measureThroughput(engine, spec, dataset.train, {
    batchSize,
    batches,
    warmupBatches: Math.max(5, Math.ceil(batches / 3)),
    repeats,
    seed: 0,
  });
  const threads = engine.threads;
  engine.close();
  const summary = {
    model: spec.name,
    dataset: datasetName,
    threads,
    fma: engine.variant.fma,
    batchSize,
    samplesPerSecond: Math.round(result.samplesPerSecond),
    secondsPerEpoch: Number((dataset.train.count / result.samplesPerSecond).toFixed(2)),
    repeats: result.repeats.map(Math.round),
    machine: describeMachine(),
  };
  if (values.json) return emitJson(summary);
  console.log(
    `${spec.name}: ${summary.samplesPerSecond} samples/s (median of ${repeats} x ${batches} batches of ${batchSize}; ` +
      `${summary.threads} thread${summary.threads > 1 ? 's' : ''}, ${summary.fma ? 'FMA' : 'plain SIMD'}), ` +
      `${summary.secondsPerEpoch} s per ${dataset.train.count.toLocaleString('en-US')}-image epoch`,
  );
}
