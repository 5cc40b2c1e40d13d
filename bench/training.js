// Training throughput of the four models, side by side in one run: simdnet at 1 and N threads
// (`simdnet bench --json`, each in a fresh process) next to PyTorch (bench/pytorch.py, where
// python3 can import torch: the same architecture, batch, Adam and threads, alternated with
// simdnet in --pairs rounds, the ratio being the median of the pairs' ratios) and TensorFlow.js
// 4.22 on its 'cpu' and 'wasm' backends training the same architecture (same layers,
// Glorot-uniform weights, Adam with the model's learning rate, batch 64, real MNIST images), plus
// the peak RSS of a full `simdnet train --model cnn-tuned --dataset fashion-mnist` run. Prints a
// Markdown table.
// Run: npm run bench:training            (builds, then runs this file; needs SIMDNET_DATA or a cache)
//   node bench/training.js --readme       also rewrites the "Training throughput" section of bench/README.md
//   node bench/training.js --models mlp,cnn --threads 2 --repeats 5 --pairs 3 --no-rss --no-tfjs --no-torch
// PyTorch: Debian's python3-torch needs an optimised BLAS beside it (apt-get install python3-torch
// libopenblas0-openmp); with the reference BLAS it falls back to, its matmuls run ~35x slower.
// Every measurement runs in its own child process, so no run inherits another's heap or JIT state.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin', 'simdnet.js');
const LIB = new URL('../dist/index.js', import.meta.url);
const THIS = fileURLToPath(import.meta.url);
const BATCH = 64;

/** TF.js timing budget per measurement: warm-up until 3 s and 10 batches (or one slow batch), then
 * repeats of >= REP_MS each until REPEATS are done or TIMED_BUDGET_MS is spent (>= 2 batches). */
const TFJS = { warmupMs: 3000, warmupBatches: 10, repMs: 1000, timedBudgetMs: 25_000, minBatches: 2 };
/** A TF.js measurement projected to take longer than this (warm-up + 2 batches) is skipped. */
const SKIP_OVER_S = 60;
/** A child that runs past this is killed and its cell says so. */
const CHILD_TIMEOUT_MS = 240_000;

// ---- Child: one TF.js measurement, a JSON line on stdout.

async function tfjsChild(backend, modelName) {
  const { modelSpec, loadDataset } = await import(LIB);
  const tf = await import('@tensorflow/tfjs');
  let simd = null;
  if (backend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    // In Node the backend reads its .wasm with fs from this prefix (a folder path, trailing slash).
    wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  }
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend '${backend}' did not initialise`);
  await tf.ready();
  if (backend === 'wasm') simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');

  const spec = modelSpec(modelName);
  const model = await tfjsModel(tf, spec);
  model.compile({ optimizer: tf.train.adam(spec.optimizer.learningRate), loss: 'categoricalCrossentropy' });

  const { train } = await loadDataset('mnist');
  const pixels = train.rows * train.cols;
  const x = new Float32Array(BATCH * pixels);
  const y = new Int32Array(BATCH);
  let cursor = 0;
  // One step as simdnet's bench times it: gather and scale the batch, forward, backward, Adam.
  const step = async () => {
    if (cursor + BATCH > train.count) cursor = 0;
    for (let b = 0; b < BATCH; b++) {
      const i = (cursor + b) * 7919 % train.count; // a fixed scatter over the set, like a shuffle
      const src = train.images.subarray(i * pixels, (i + 1) * pixels);
      for (let p = 0; p < pixels; p++) x[b * pixels + p] = src[p] / 255;
      y[b] = train.labels[i];
    }
    cursor += BATCH;
    const xs = tf.tensor4d(x, [BATCH, train.rows, train.cols, 1]);
    const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(y, 'int32'), 10));
    try {
      await model.trainOnBatch(xs, ys); // resolves after the loss is read back: the step is done
    } finally {
      tf.dispose([xs, ys]);
    }
  };

  const warmStart = performance.now();
  let warmBatches = 0;
  let lastBatchMs = 0;
  while (warmBatches < TFJS.warmupBatches || performance.now() - warmStart < TFJS.warmupMs) {
    const t = performance.now();
    await step();
    lastBatchMs = performance.now() - t;
    warmBatches++;
    if (lastBatchMs > 5000) break; // one slow batch is warm-up enough
  }
  const repeats = [];
  let timedBatches = 0;
  let timedMs = 0;
  while (repeats.length < 5 && (timedMs < TFJS.timedBudgetMs || timedBatches < TFJS.minBatches)) {
    const t = performance.now();
    let n = 0;
    do {
      await step();
      n++;
    } while (performance.now() - t < TFJS.repMs);
    const ms = performance.now() - t;
    repeats.push((n * BATCH * 1000) / ms);
    timedBatches += n;
    timedMs += ms;
  }
  const sorted = [...repeats].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  console.log(JSON.stringify({ backend, model: modelName, simd, samplesPerSecond: median, repeats, timedBatches, timedMs: Math.round(timedMs) }));
}

/**
 * The same architecture as simdnet's spec, in tfjs-layers: built by TF.js from the Keras topology
 * simdnet writes (each layer module maps itself), with Keras's default initializers (Glorot-uniform
 * kernels, zero biases), as simdnet's own.
 */
async function tfjsModel(tf, spec) {
  const { toKerasTopology } = await import(LIB);
  return tf.models.modelFromJSON({ modelTopology: toKerasTopology(spec) });
}

// ---- Parent: run the children, build the table.

/** Runs `node args...`; resolves with stdout, stderr, exit code and whether it was killed for time. */
function runNode(args, { timeoutMs = CHILD_TIMEOUT_MS, command = process.execPath } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code, timedOut });
    });
  });
}

function lastJson(text) {
  const lines = text.trim().split('\n').reverse();
  for (const line of lines) {
    if (line.startsWith('{')) {
      try {
        return JSON.parse(line);
      } catch {}
    }
  }
  return undefined;
}

/** The first line of a child's error that says something (TF.js's kernel errors are one line). */
function errorLine(result) {
  const lines = `${result.stderr}\n${result.stdout}`.split('\n').map((l) => l.trim());
  const line = lines.find((l) => /^(Uncaught )?\w*Error\b|not registered|error:/i.test(l)) ?? lines.filter(Boolean).pop() ?? `exit code ${result.code}`;
  return line.replace(/^Uncaught /, '').replace(/\|/g, '/');
}

async function simdnetBench(model, threads, repeats) {
  const result = await runNode([CLI, 'bench', '--model', model, '--threads', String(threads), '--repeats', String(repeats), '--json']);
  const json = lastJson(result.stdout);
  if (result.code !== 0 || !json) return result.timedOut ? { skipped: `not measured: killed after ${CHILD_TIMEOUT_MS / 1000} s` } : { error: errorLine(result) };
  return json;
}

/** A python3 that can import torch: $SIMDNET_PYTHON, python3 on the PATH, or Debian's. */
function findTorchPython() {
  for (const python of [process.env.SIMDNET_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean)) {
    const probe = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (probe.status === 0) return { python, version: probe.stdout.trim() };
  }
  return undefined;
}

/** PyTorch warms up for as many steps as simdnet bench does for the model (defaultWarmupBatches). */
async function torchBench(torch, model, threads, repeats, spec, warmup) {
  const result = await runNode([join(ROOT, 'bench', 'pytorch.py'), '--spec', JSON.stringify(spec), '--threads', String(threads), '--repeats', String(repeats), '--warmup', String(warmup)], { command: torch.python });
  const json = lastJson(result.stdout);
  if (result.code !== 0 || !json) return result.timedOut ? { skipped: `not measured: killed after ${CHILD_TIMEOUT_MS / 1000} s` } : { error: errorLine(result) };
  return json;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function tfjsBench(backend, model) {
  const result = await runNode([THIS, '--tfjs-child', backend, '--models', model]);
  const json = lastJson(result.stdout);
  if (result.code !== 0 || !json) return result.timedOut ? { skipped: `not measured: killed after ${CHILD_TIMEOUT_MS / 1000} s` } : { error: errorLine(result) };
  return json;
}

/** Peak RSS of a full training run, from GNU time's "Maximum resident set size" (worker threads
 * share the process, so they are counted). */
async function peakRss(model, dataset, epochs, threads) {
  const args = [CLI, 'train', '--model', model, '--dataset', dataset, '--epochs', String(epochs), '--threads', String(threads), '--json'];
  const started = performance.now();
  const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
  const result = timeBin
    ? await runNode(['-v', process.execPath, ...args], { command: timeBin, timeoutMs: 900_000 })
    : await runNode(['-e', `const {spawnSync}=require('node:child_process');spawnSync(process.execPath,${JSON.stringify(args)},{stdio:'inherit'});console.error('Maximum resident set size (kbytes): '+process.resourceUsage().maxRSS)`], { timeoutMs: 900_000 });
  const seconds = (performance.now() - started) / 1000;
  const match = /Maximum resident set size \(kbytes\): (\d+)/.exec(result.stderr);
  const json = lastJson(result.stdout);
  if (result.code !== 0 || !match) return { error: errorLine(result) };
  return { mib: Number(match[1]) / 1024, seconds, testAccuracy: json?.testAccuracy, how: timeBin ? '/usr/bin/time -v' : "the largest child's maxRSS" };
}

const fmt = (n) => (n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US'));
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(a / b >= 10 ? 0 : 1)}x` : '-');
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

async function main() {
  const { values } = parseArgs({
    options: {
      models: { type: 'string', default: 'cnn,cnn-tuned,mlp,mlp-tuned' },
      threads: { type: 'string', default: String(availableParallelism()) },
      repeats: { type: 'string', default: '5' },
      'no-tfjs': { type: 'boolean', default: false },
      'no-torch': { type: 'boolean', default: false },
      pairs: { type: 'string', default: '3' },
      'no-rss': { type: 'boolean', default: false },
      readme: { type: 'boolean', default: false },
      'tfjs-child': { type: 'string' },
    },
  });
  if (values['tfjs-child']) return tfjsChild(values['tfjs-child'], values.models);
  if (!existsSync(new URL('../dist/simdnet.js', import.meta.url)) || !existsSync(LIB)) {
    throw new Error('bench/training.js: dist/simdnet.js or dist/index.js is missing; run `npm run build` first');
  }
  const { MODELS, macsPerSample, defaultWarmupBatches } = await import(LIB);
  const models = values.models.split(',');
  const threads = Number(values.threads);
  const loads = [load()];
  const log = (line) => process.stderr.write(`${line}   [load ${load()}]\n`);
  const rows = [];
  let cpuCnnRate;
  const torch = values['no-torch'] ? undefined : findTorchPython();
  if (!values['no-torch'] && !torch) log('PyTorch: no python3 here imports torch (apt-get install python3-torch libopenblas0-openmp); its columns say so');
  for (const model of models) {
    const row = { model };
    row.one = await simdnetBench(model, 1, values.repeats);
    log(`${model} simdnet 1 thread: ${row.one.samplesPerSecond ?? row.one.error}`);
    if (torch) {
      row.torchOne = await torchBench(torch, model, 1, values.repeats, MODELS[model], defaultWarmupBatches(MODELS[model], BATCH, 30));
      log(`${model} pytorch 1 thread: ${row.torchOne.samplesPerSecond ?? row.torchOne.error}`);
    }
    // simdnet and PyTorch alternated at N threads: each pair sees the same state of the host.
    const pairs = [];
    for (let p = 0; p < (torch ? Number(values.pairs) : 1); p++) {
      const mine = await simdnetBench(model, threads, values.repeats);
      log(`${model} simdnet ${threads} threads: ${mine.samplesPerSecond ?? mine.error}`);
      const theirs = torch ? await torchBench(torch, model, threads, values.repeats, MODELS[model], defaultWarmupBatches(MODELS[model], BATCH, 30)) : undefined;
      if (theirs) log(`${model} pytorch ${threads} threads: ${theirs.samplesPerSecond ?? theirs.error}`);
      pairs.push({ mine, theirs });
    }
    const rates = pairs.map((p) => p.mine.samplesPerSecond).filter(Boolean);
    row.many = { ...pairs[0].mine, samplesPerSecond: rates.length ? median(rates) : undefined, repeats: rates.length > 1 ? rates : pairs[0].mine.repeats };
    if (torch) {
      const theirRates = pairs.map((p) => p.theirs?.samplesPerSecond).filter(Boolean);
      row.torchMany = theirRates.length ? { samplesPerSecond: median(theirRates), repeats: theirRates } : pairs[0].theirs;
      const ratios = pairs.filter((p) => p.mine.samplesPerSecond && p.theirs?.samplesPerSecond).map((p) => p.mine.samplesPerSecond / p.theirs.samplesPerSecond);
      row.torchRatio = ratios.length ? { median: median(ratios), ratios } : undefined;
    }
    loads.push(load());
    if (!values['no-tfjs']) {
      // TF.js cpu trains a CNN at a few samples/s: project cnn-tuned from cnn's rate and its work.
      const projected = model !== 'cnn' && cpuCnnRate && MODELS[model].layers.some((l) => l.type === 'conv2d')
        ? ((TFJS.minBatches + 1) * BATCH) / (cpuCnnRate * macsPerSample(MODELS.cnn) / macsPerSample(MODELS[model]))
        : 0;
      row.cpu = projected > SKIP_OVER_S
        ? { skipped: `skipped: ~${Math.round(projected)} s projected for 3 batches (${(macsPerSample(MODELS[model]) / macsPerSample(MODELS.cnn)).toFixed(1)}x cnn's multiply-adds at cpu's cnn rate)` }
        : await tfjsBench('cpu', model);
      if (model === 'cnn') cpuCnnRate = row.cpu.samplesPerSecond;
      log(`${model} tfjs cpu: ${row.cpu.samplesPerSecond ?? row.cpu.error ?? row.cpu.skipped}`);
      row.wasm = await tfjsBench('wasm', model);
      log(`${model} tfjs wasm: ${row.wasm.samplesPerSecond ?? row.wasm.error}`);
      loads.push(load());
    }
    rows.push(row);
  }
  let rss;
  if (!values['no-rss']) {
    rss = await peakRss('cnn-tuned', 'fashion-mnist', 1, threads);
    log(`cnn-tuned fashion-mnist 1 epoch: ${rss.mib ? `${rss.mib.toFixed(0)} MiB peak RSS, ${rss.seconds.toFixed(0)} s` : rss.error}`);
    // Backs the claim that one epoch shows the peak: the same run shape, 1 epoch and 3, on the fast mlp.
    rss.growth = [await peakRss('mlp', 'mnist', 1, threads), await peakRss('mlp', 'mnist', 3, threads)];
    log(`mlp mnist 1 and 3 epochs: ${rss.growth.map((r) => (r.mib ? `${r.mib.toFixed(0)} MiB` : r.error)).join(', ')}`);
  }
  loads.push(load());
  const markdown = renderTable(rows, threads, rss, loads, values, torch);
  console.log(markdown);
  if (values.readme) writeReadme(markdown);
}

function cell(result, threadsNote = '') {
  if (!result) return '-';
  if (result.error) return `cannot train: ${result.error}`;
  if (result.skipped) return result.skipped;
  const spread = result.repeats?.length > 1 ? ` (${fmt(Math.min(...result.repeats))}-${fmt(Math.max(...result.repeats))})` : '';
  return `${fmt(result.samplesPerSecond)}${spread}${threadsNote}`;
}

/** The checked-out commit, marked when the working tree differs from it. */
function revision() {
  const git = (args) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  const head = git(['rev-parse', '--short', 'HEAD']).stdout?.trim();
  if (!head) return 'unknown';
  return git(['diff', '--quiet', 'HEAD', '--', 'src', 'assembly']).status === 0 ? head : `${head} + uncommitted changes in src/ or assembly/`;
}

/** Lowest-highest 1-minute load average seen between measurements. */
function loadRange(loads) {
  const ones = loads.map((l) => Number(l.split(' ')[0]));
  return `${Math.min(...ones).toFixed(1)}-${Math.max(...ones).toFixed(1)}`;
}

function growthNote(growth) {
  if (!growth?.every((r) => r.mib)) return '';
  return ` (checked in this run: \`train --model mlp --dataset mnist\` peaks at ${growth[0].mib.toFixed(0)} MiB with --epochs 1 and ${growth[1].mib.toFixed(0)} MiB with --epochs 3)`;
}

function renderTable(rows, threads, rss, loads, values, torch) {
  const machine = `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${availableParallelism()} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}`;
  const fma = rows.find((r) => r.many?.fma !== undefined)?.many.fma;
  const wasmSimd = rows.find((r) => r.wasm?.simd !== undefined && r.wasm.simd !== null)?.wasm.simd;
  const lines = [
    `simdnet at commit ${revision()}. Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine}; load average (1/5/15 min) ${loads[0]} at the start, ${loads[loads.length - 1]} at the end; 1-min load ${loadRange(loads)} between measurements.`,
    `Training samples/s, batch 64, Adam, MNIST; medians of ${values.repeats} repeats for simdnet (range in brackets; \`simdnet bench --repeats ${values.repeats}\`, ${fma ? 'FMA build' : 'plain SIMD build'}, after its default warm-up: ${rows.map((r) => `${r.model} ${r.many?.warmupBatches ?? r.one?.warmupBatches ?? '?'}`).join(', ')} steps), each measurement in a fresh process.`,
    torch
      ? `PyTorch ${torch.version} (${torch.python}, bench/pytorch.py): the same layers, batch 64, Adam, real MNIST, torch.set_num_threads as shown, the same warm-up steps as simdnet; at ${threads} threads it alternates with simdnet in ${values.pairs} pairs of fresh processes, the simdnet figure at ${threads} threads is the median of those pairs, and simdnet / PyTorch is the median of the pairs' ratios (range in brackets).`
      : `PyTorch: ${values['no-torch'] ? 'not run (--no-torch)' : 'not installed here (no python3 imports torch; apt-get install python3-torch libopenblas0-openmp)'}.`,
    `TF.js 4.22 runs one thread on both backends in Node${wasmSimd === undefined ? '' : ` (wasm backend with SIMD: ${wasmSimd})`}; its figures are medians of up to 5 repeats of >= 1 s after a warm-up, and at most ~25 s of timed batches (cnn on cpu: 2 batches).`,
    '',
    `| model | simdnet 1 thread | simdnet ${threads} threads | ${threads} threads / 1 | PyTorch 1 thread | PyTorch ${threads} threads | simdnet / PyTorch, ${threads} threads | TF.js cpu | simdnet ${threads}t / TF.js cpu | TF.js wasm | simdnet ${threads}t / TF.js wasm |`,
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const noTorch = torch ? '-' : 'not installed';
  for (const r of rows) {
    const many = r.many?.samplesPerSecond;
    const torchRatio = r.torchRatio ? `${r.torchRatio.median.toFixed(2)}x (${Math.min(...r.torchRatio.ratios).toFixed(2)}-${Math.max(...r.torchRatio.ratios).toFixed(2)})` : noTorch;
    lines.push(`| ${r.model} | ${cell(r.one)} | ${cell(r.many)} | ${ratio(many, r.one?.samplesPerSecond)} | ${torch ? cell(r.torchOne) : noTorch} | ${torch ? cell(r.torchMany) : noTorch} | ${torchRatio} | ${cell(r.cpu)} | ${ratio(many, r.cpu?.samplesPerSecond)} | ${cell(r.wasm)} | ${ratio(many, r.wasm?.samplesPerSecond)} |`);
  }
  if (rss) {
    lines.push('');
    lines.push(rss.mib
      ? `Peak RSS of \`simdnet train --model cnn-tuned --dataset fashion-mnist --epochs 1 --threads ${threads}\`: **${rss.mib.toFixed(0)} MiB** (${rss.how}; ${rss.seconds.toFixed(0)} s wall${rss.testAccuracy !== undefined ? `, test accuracy ${(rss.testAccuracy * 100).toFixed(1)}%` : ''}). One epoch is enough: the arena is laid out once per model and the dataset stays uint8, so nothing grows per epoch${growthNote(rss.growth)}.`
      : `Peak RSS of cnn-tuned training: not measured (${rss.error}).`);
  }
  return lines.join('\n');
}

/** Replaces the "## Training throughput" section of bench/README.md (up to the next "## "), or appends it. */
function writeReadme(markdown) {
  const path = join(ROOT, 'bench', 'README.md');
  const section = [
    '## Training throughput',
    '',
    `Figures are medians on a shared ${availableParallelism()}-core machine that other work was loading at the time (see the load average); treat differences under ~20% as noise. With the load above the core count, the ${availableParallelism()}-thread column suffers most (each step waits for its slowest thread, and a descheduled worker stalls the rest), so read scaling from a run on an idle machine.`,
    '',
    markdown,
    '',
    'Reproduce: `npm run bench:training` (add `-- --readme` to rewrite this section).',
    '',
    '',
  ].join('\n');
  const old = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const start = old.indexOf('## Training throughput');
  let next;
  if (start >= 0) {
    const after = old.indexOf('\n## ', start + 1);
    next = old.slice(0, start) + section + (after >= 0 ? old.slice(after + 1) : '');
  } else {
    next = old.replace(/\n*$/, '\n\n') + section;
  }
  writeFileSync(path, next);
  process.stderr.write(`wrote ${path}\n`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
