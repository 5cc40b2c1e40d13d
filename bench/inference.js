// Inference throughput of the four models, side by side in one run: `simdnet bench --inference`
// (batch 256, forward only in inference mode, through the path simdnet predict and evaluate use)
// at 1 and N threads, alternated with TensorFlow.js 4.22's wasm backend (XNNPACK; one thread in
// Node) running model.predict at batch 256 on the same architecture (built by TF.js from the Keras
// topology simdnet writes, Glorot-uniform weights), each measurement in a fresh process. Prints a
// Markdown table; simdnet 1 thread / TF.js wasm is the median of the alternated pairs' ratios.
// Run: npm run bench:inference           (builds, then runs this file; needs SIMDNET_DATA or a cache)
//   node bench/inference.js --readme      also rewrites the "Inference throughput" section of bench/README.md
//   node bench/inference.js --models cnn --threads 2 --pairs 3 --repeats 5 --batches 10
// A file of its own rather than a part of bench/training.js: inference is another question (its
// own batch, its own peers: TF.js wasm can run a CNN's forward pass but not train one) that
// takes a few minutes, where the training table takes far longer (PyTorch pairs, peak RSS runs).
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
const BATCH = 256;
/** Images the TF.js child cycles through, as floats already scaled to 0..1 (what a TF.js caller holds). */
const TFJS_IMAGES = 8192;
/** TF.js timing: warm-up for 2 s and at least 5 batches, then up to 5 repeats of >= 1 s, at most ~15 s timed. */
const TFJS = { warmupMs: 2000, warmupBatches: 5, repMs: 1000, repeats: 5, timedBudgetMs: 15_000 };
/** A child that runs past this is killed and its cell says so. */
const CHILD_TIMEOUT_MS = 180_000;

// ---- Child: TF.js wasm predicting batches of 256, one JSON line on stdout.

async function tfjsChild(modelName) {
  const { modelSpec, loadDataset, toKerasTopology } = await import(LIB);
  const tf = await import('@tensorflow/tfjs');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  // In Node the backend reads its .wasm with fs from this prefix (a folder path, trailing slash).
  wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  wasm.setThreadsCount?.(1); // Node runs it on one thread whatever this says; say it anyway
  if (!(await tf.setBackend('wasm'))) throw new Error("TF.js backend 'wasm' did not initialise");
  await tf.ready();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');

  const spec = modelSpec(modelName);
  const model = await tf.models.modelFromJSON({ modelTopology: toKerasTopology(spec) });
  const { train } = await loadDataset('mnist');
  const pixels = train.rows * train.cols;
  const batches = Math.floor(Math.min(train.count, TFJS_IMAGES) / BATCH);
  const inputs = Array.from({ length: batches }, (_, b) => {
    const x = new Float32Array(BATCH * pixels);
    const src = train.images.subarray(b * BATCH * pixels, (b + 1) * BATCH * pixels);
    for (let i = 0; i < x.length; i++) x[i] = src[i] / 255;
    return x;
  });
  let cursor = 0;
  // One batch as simdnet's bench times it: the images in, the forward pass, the probabilities out.
  const step = async () => {
    const xs = tf.tensor4d(inputs[cursor], [BATCH, train.rows, train.cols, 1]);
    cursor = (cursor + 1) % batches;
    const ys = model.predict(xs);
    try {
      await ys.data();
    } finally {
      tf.dispose([xs, ys]);
    }
  };

  const warmStart = performance.now();
  for (let n = 0; n < TFJS.warmupBatches || performance.now() - warmStart < TFJS.warmupMs; n++) await step();
  const repeats = [];
  let timedMs = 0;
  while (repeats.length < TFJS.repeats && (timedMs < TFJS.timedBudgetMs || repeats.length === 0)) {
    const t = performance.now();
    let n = 0;
    do {
      await step();
      n++;
    } while (performance.now() - t < TFJS.repMs);
    const ms = performance.now() - t;
    repeats.push((n * BATCH * 1000) / ms);
    timedMs += ms;
  }
  console.log(JSON.stringify({ backend: 'wasm', model: modelName, simd, imagesPerSecond: median(repeats), repeats }));
}

// ---- Parent: alternate the children, build the table.

/** Runs `node args...`; resolves with stdout, stderr, exit code and whether it was killed for time. */
function runNode(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, CHILD_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code, timedOut });
    });
  });
}

function lastJson(text) {
  for (const line of text.trim().split('\n').reverse()) {
    if (!line.startsWith('{')) continue;
    try {
      return JSON.parse(line);
    } catch {}
  }
  return undefined;
}

/** The first line of a child's error that says something. */
function errorLine(result) {
  const lines = `${result.stderr}\n${result.stdout}`.split('\n').map((l) => l.trim());
  const line = lines.find((l) => /^(Uncaught )?\w*Error\b|not registered|error:|^simdnet:/i.test(l)) ?? lines.filter(Boolean).pop() ?? `exit code ${result.code}`;
  return line.replace(/^Uncaught /, '').replace(/\|/g, '/');
}

async function measured(args) {
  const result = await runNode(args);
  const json = lastJson(result.stdout);
  if (result.code !== 0 || !json?.imagesPerSecond) return result.timedOut ? { error: `killed after ${CHILD_TIMEOUT_MS / 1000} s` } : { error: errorLine(result) };
  return json;
}

const simdnet = (model, threads, values) =>
  measured([CLI, 'bench', '--inference', '--model', model, '--threads', String(threads), '--batches', values.batches, '--repeats', values.repeats, '--json']);
const tfjs = (model) => measured([THIS, '--tfjs-child', model]);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

/** The median of several measurements (a pair's each), with their range. */
function combine(results) {
  const rates = results.map((r) => r.imagesPerSecond).filter(Boolean);
  if (rates.length === 0) return results[0];
  return { ...results.find((r) => r.imagesPerSecond), imagesPerSecond: median(rates), runs: rates };
}

function cell(result) {
  if (!result) return '-';
  if (result.error) return `failed: ${result.error}`;
  const runs = result.runs ?? [];
  const spread = runs.length > 1 ? ` (${fmt(Math.min(...runs))}-${fmt(Math.max(...runs))})` : '';
  return `${fmt(result.imagesPerSecond)}${spread}`;
}

/** The checked-out commit, marked when the working tree differs from it. */
function revision() {
  const git = (args) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  const head = git(['rev-parse', '--short', 'HEAD']).stdout?.trim();
  if (!head) return 'unknown';
  return git(['diff', '--quiet', 'HEAD', '--', 'src', 'assembly']).status === 0 ? head : `${head} + uncommitted changes in src/ or assembly/`;
}

async function main() {
  const { values } = parseArgs({
    options: {
      models: { type: 'string', default: 'cnn,cnn-tuned,mlp,mlp-tuned' },
      threads: { type: 'string', default: String(availableParallelism()) },
      pairs: { type: 'string', default: '3' },
      repeats: { type: 'string', default: '5' },
      batches: { type: 'string', default: '10' },
      readme: { type: 'boolean', default: false },
      'tfjs-child': { type: 'string' },
    },
  });
  if (values['tfjs-child']) return tfjsChild(values['tfjs-child']);
  if (!existsSync(new URL('../dist/simdnet.js', import.meta.url)) || !existsSync(LIB)) {
    throw new Error('bench/inference.js: dist/simdnet.js or dist/index.js is missing; run `npm run build` first');
  }
  const threads = Number(values.threads);
  const pairs = Number(values.pairs);
  const loads = [load()];
  const log = (line) => process.stderr.write(`${line}   [load ${load()}]\n`);
  const rows = [];
  for (const model of values.models.split(',')) {
    const one = [];
    const theirs = [];
    const many = [];
    const ratios = [];
    // Each round runs simdnet on 1 thread and TF.js back to back, so a pair sees the same state of the host.
    for (let p = 0; p < pairs; p++) {
      const mine = await simdnet(model, 1, values);
      log(`${model} simdnet 1 thread: ${mine.imagesPerSecond ?? mine.error}`);
      const peer = await tfjs(model);
      log(`${model} TF.js wasm: ${peer.imagesPerSecond ?? peer.error}`);
      const wide = threads > 1 ? await simdnet(model, threads, values) : mine;
      if (threads > 1) log(`${model} simdnet ${threads} threads: ${wide.imagesPerSecond ?? wide.error}`);
      one.push(mine);
      theirs.push(peer);
      many.push(wide);
      if (mine.imagesPerSecond && peer.imagesPerSecond) ratios.push(mine.imagesPerSecond / peer.imagesPerSecond);
    }
    rows.push({ model, one: combine(one), many: combine(many), tfjs: combine(theirs), ratios });
    loads.push(load());
  }
  const markdown = renderTable(rows, threads, pairs, values, loads);
  console.log(markdown);
  if (values.readme) writeReadme(markdown);
}

function renderTable(rows, threads, pairs, values, loads) {
  const machine = `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${availableParallelism()} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}`;
  const fma = rows.find((r) => r.one?.fma !== undefined)?.one.fma;
  const simd = rows.find((r) => r.tfjs?.simd !== undefined)?.tfjs.simd;
  const lines = [
    `simdnet at commit ${revision()}. Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine}; load average (1/5/15 min) ${loads[0]} at the start, ${loads[loads.length - 1]} at the end.`,
    `Inference images/s, batch ${BATCH}, forward only, fresh Glorot-uniform weights, MNIST training images; each figure the median of ${pairs} run${pairs > 1 ? 's' : ''} in fresh processes (range in brackets), simdnet and TF.js alternated in ${pairs} round${pairs > 1 ? 's' : ''}.`,
    `simdnet: \`simdnet bench --inference --batches ${values.batches} --repeats ${values.repeats}\` (${fma === undefined ? 'build unknown' : fma ? 'FMA build' : 'plain SIMD build'}): predictProbabilities on the images as bytes, the path of simdnet predict and evaluate, each run the median of its repeats.`,
    `TF.js 4.22 wasm backend (one thread in Node${simd === undefined ? '' : `, SIMD: ${simd}`}): model.predict on a tensor made from the images already scaled to floats, then its probabilities read back; warm-up >= 2 s, then the median of up to 5 repeats of >= 1 s.`,
    `simdnet 1 thread / TF.js wasm is the median of the rounds' ratios (range in brackets).`,
    '',
    // On a one-core machine the N-thread column would repeat the first.
    `| model | simdnet 1 thread |${threads > 1 ? ` simdnet ${threads} threads |` : ''} TF.js wasm | simdnet 1 thread / TF.js wasm |`,
    `|---|---:|${threads > 1 ? '---:|' : ''}---:|---:|`,
  ];
  for (const r of rows) {
    const ratio = r.ratios.length ? `${median(r.ratios).toFixed(2)}x${r.ratios.length > 1 ? ` (${Math.min(...r.ratios).toFixed(2)}-${Math.max(...r.ratios).toFixed(2)})` : ''}` : '-';
    lines.push(`| ${r.model} | ${cell(r.one)} |${threads > 1 ? ` ${cell(r.many)} |` : ''} ${cell(r.tfjs)} | ${ratio} |`);
  }
  return lines.join('\n');
}

/** Replaces the "## Inference throughput" section of bench/README.md (up to the next "## "), or adds it after the training one. */
function writeReadme(markdown) {
  const path = join(ROOT, 'bench', 'README.md');
  const section = ['## Inference throughput', '', markdown, '', 'Reproduce: `npm run bench:inference` (add `-- --readme` to rewrite this section).', '', ''].join('\n');
  const old = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const at = (heading) => old.indexOf(heading);
  const end = (from) => {
    const after = old.indexOf('\n## ', from + 1);
    return after >= 0 ? after + 1 : old.length;
  };
  let next;
  if (at('## Inference throughput') >= 0) {
    const start = at('## Inference throughput');
    next = old.slice(0, start) + section + old.slice(end(start));
  } else if (at('## Training throughput') >= 0) {
    const after = end(at('## Training throughput'));
    next = old.slice(0, after).replace(/\n*$/, '\n\n') + section + old.slice(after);
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
