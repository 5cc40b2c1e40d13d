// simdnet bench: training (or, with --inference, prediction) throughput of one model, or with
// --suite the whole benchmark suite, for comparing machines and builds.
import { choiceFlag, intFlag, parseFlags } from './args.js';
import { ALL_CORES, CONVOLUTION_CHOICES, DATASET_NAMES, chooseSpec, commonOptions, createEngine, emitJson, getDataset } from './common.js';
import { chooseData, dataOptions, fitSpec, loadData } from './data-flags.js';
import { checkModelAgainstData } from '../train/trainer.js';
import { MODEL_NAMES } from '../nn/models.js';
import { defaultWarmupBatches, measureThroughput } from '../train/throughput.js';
import { INFERENCE_BATCH, measureInferenceThroughput } from '../train/inference-throughput.js';
import { runSuite, suiteThreadCounts } from '../bench/suite.js';
import { suiteMarkdown } from '../bench/suite-report.js';
import { describeMachine, machineInfo } from '../util/machine.js';
import { SimdnetError } from '../engine/errors.js';

export const benchHelp = `Usage: simdnet bench --model <${MODEL_NAMES.join('|')}> [options]
       simdnet bench --spec FILE.json [options]
       simdnet bench --inference --model NAME | --spec FILE.json [options]
       simdnet bench --suite [--threads N] [--quick] [--json]

Times training steps (forward, backward, optimizer) of batch 64 after a warm-up and prints samples/s
and the projected seconds per epoch of the training set (the median of several repeats). A named
model takes the data's image shape and class count.

--inference times prediction instead: forward passes in inference mode (no dropout, no backward)
of batch 256 through the path simdnet predict and evaluate use, and prints images/s.

--suite runs the benchmark for comparing CPUs: GFLOP/s of every conv and dense layer pass of the
four models (and its share of the measured multiply-add peak), and the training and inference
throughput of all four, at 1, 2, 4, ... and N threads, on MNIST; it prints one Markdown block
headed by a line describing the machine (about 19 s per thread count on a 2-core machine).

Options:
  --dataset NAME      images to train on: ${DATASET_NAMES.join(' or ')} (default mnist)
  --data DIR          or a folder of your own (IDX files, or PNGs in train/<class>/; see train --help)
  --test-split F      without a test set in DIR, the fraction of each class left out (default 0.2)
  --threads N         threads (default: every core); with --suite the largest count measured
  --batches K         timed steps per repeat (default 30)
  --warmup K          untimed steps first (default: enough for 4 billion forward multiply-adds, at
                      least 5 and a third of --batches: mlp 573, cnn 45 at batch 64), so that the
                      figure is the steady speed a long training runs at
  --repeats R         repeats; the median is reported (default 5)
  --batch-size N      (default 64; 256 with --inference)
  --quick             with --suite: one short repeat of everything (seconds; rough figures)
  --data-dir DIR      folder holding mnist/ and fashion-mnist/
  --fma auto|on|off   relaxed-SIMD FMA kernels (default auto)
  --conv auto|direct|winograd
                      how convolutions are computed (default auto; see train --help), to compare them
  --json              print the result as one JSON line (the last line of stdout)`;

export async function runBench(argv: string[]): Promise<void> {
  const { values } = parseFlags('bench', argv, {
    ...commonOptions,
    ...dataOptions,
    model: { type: 'string' },
    spec: { type: 'string' },
    batches: { type: 'string' },
    warmup: { type: 'string' },
    repeats: { type: 'string' },
    'batch-size': { type: 'string' },
    inference: { type: 'boolean' },
    suite: { type: 'boolean' },
    quick: { type: 'boolean' },
    conv: { type: 'string' },
  });
  if (values.help) return void console.log(benchHelp);
  if (values.suite) return runBenchSuite(values);
  if (values.quick) throw new SimdnetError('--quick shortens --suite; bench of one model takes --batches and --repeats');
  const inference = values.inference === true;
  const chosen = chooseSpec(values.model as string | undefined, values.spec as string | undefined, undefined);
  const data = chooseData(values, 'mnist');
  const batches = intFlag(values.batches as string | undefined, 'batches', 30);
  const repeats = intFlag(values.repeats as string | undefined, 'repeats', 5);
  const warmup = values.warmup === undefined ? undefined : intFlag(values.warmup as string, 'warmup', 0, 0);
  const batchSize = intFlag(values['batch-size'] as string | undefined, 'batch-size', inference ? INFERENCE_BATCH : 64);
  const convolution = choiceFlag(values.conv as string | undefined, 'conv', CONVOLUTION_CHOICES, 'auto');
  const dataset = await loadData(data, values['data-dir'] as string | undefined);
  const datasetName = dataset.name;
  const spec = fitSpec(chosen, values.model !== undefined, dataset);
  checkModelAgainstData(spec, dataset);
  const engine = await createEngine(values.fma as string | undefined, values.threads as string | undefined, ALL_CORES);
  const warmupBatches = warmup ?? defaultWarmupBatches(spec, batchSize, batches);
  const options = { batchSize, batches, warmupBatches, repeats, seed: 0, convolution };
  const threads = engine.threads;
  const fma = engine.variant.fma;
  const how = `median of ${repeats} x ${batches} batches of ${batchSize} after ${warmupBatches} warm-up batches; ${threads} thread${threads > 1 ? 's' : ''}, ${fma ? 'FMA' : 'plain SIMD'}${convolution === 'auto' ? '' : `, --conv ${convolution}`}`;
  if (inference) {
    let result;
    try {
      result = measureInferenceThroughput(engine, spec, dataset.train, options);
    } finally {
      engine.close();
    }
    const summary = {
      mode: 'inference',
      model: spec.name,
      dataset: datasetName,
      threads,
      fma,
      convolution,
      batchSize,
      warmupBatches,
      imagesPerSecond: Math.round(result.imagesPerSecond),
      millisecondsPerBatch: Number(((batchSize / result.imagesPerSecond) * 1000).toFixed(3)),
      repeats: result.repeats.map(Math.round),
      machine: describeMachine(),
    };
    if (values.json) return emitJson(summary);
    console.log(`${spec.name} inference: ${summary.imagesPerSecond} images/s (${how}), ${summary.millisecondsPerBatch} ms per batch`);
    return;
  }
  let result;
  try {
    result = measureThroughput(engine, spec, dataset.train, options);
  } finally {
    engine.close();
  }
  const summary = {
    model: spec.name,
    dataset: datasetName,
    threads,
    fma,
    convolution,
    batchSize,
    warmupBatches,
    samplesPerSecond: Math.round(result.samplesPerSecond),
    secondsPerEpoch: Number((dataset.train.count / result.samplesPerSecond).toFixed(2)),
    repeats: result.repeats.map(Math.round),
    machine: describeMachine(),
  };
  if (values.json) return emitJson(summary);
  console.log(`${spec.name}: ${summary.samplesPerSecond} samples/s (${how}), ${summary.secondsPerEpoch} s per ${dataset.train.count.toLocaleString('en-US')}-image epoch`);
}

async function runBenchSuite(values: Record<string, string | boolean | undefined>): Promise<void> {
  for (const flag of ['model', 'spec', 'data', 'dataset', 'test-split', 'batches', 'warmup', 'batch-size', 'inference', 'conv']) {
    if (values[flag] !== undefined) throw new SimdnetError(`--suite runs the four named models on MNIST at fixed batches; it takes no --${flag}`);
  }
  const maxThreads = intFlag(values.threads as string | undefined, 'threads', ALL_CORES);
  const repeats = values.repeats === undefined ? undefined : intFlag(values.repeats as string, 'repeats', 1);
  const dataset = await getDataset('mnist', values['data-dir'] as string | undefined);
  const result = await runSuite(
    { engine: (threads) => createEngine(values.fma as string | undefined, String(threads)), machine: machineInfo() },
    dataset.train,
    { threads: suiteThreadCounts(maxThreads), quick: values.quick === true, repeats },
    // One line updated in place on a terminal; a log line per measurement otherwise.
    (p) => process.stderr.write(process.stderr.isTTY ? `\r\x1b[K[${p.step}/${p.steps}] ${p.text}${p.step === p.steps ? '\n' : ''}` : `[${p.step}/${p.steps}] ${p.text}\n`),
  );
  const markdown = suiteMarkdown(result);
  if (values.json) return emitJson({ ...result, markdown });
  console.log(markdown);
}
