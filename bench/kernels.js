// GEMM and convolution throughput at the exact layer shapes of the four models (batch 64), for
// the FMA and the plain-SIMD build, beside the measured peak of a register-only multiply-add loop.
// Each kernel is checked on sampled elements against an f64 dot product before it is timed. The
// layer shapes and the timing against the peak are those of the benchmark suite
// (src/bench/kernel-suite.ts), which times the layers' passes as the models run them (whatever
// algorithm each layer picks, fused epilogues and threads included): `simdnet bench --suite`.
// Run: npm run bench:kernels   (plain ESM; loads build/*.wasm the way src/engine/wasm.ts does, and the
//   layer shapes from dist/index.js)
//   node bench/kernels.js conv2 dense   only the rows whose label contains one of the words
//   SIMDNET_WASM_DIR=dir                loads dir/simdnet.{fma,simd}.wasm instead of build/
import { readFileSync } from 'node:fs';
const { layerShapes, measurePeak, timeAgainstPeak } = await import(new URL('../dist/index.js', import.meta.url));
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--experimental-wasm-relaxed-simd');

const BATCH = 64;
const REPS = 7;
/** Each timed rep runs the kernel until at least this many milliseconds have passed. */
const REP_MS = 40;
const WARMUP_MS = 150;

// ---- Loading: one module instance and one memory per build, with a bump allocator.

function load(fma) {
  const dir = process.env.SIMDNET_WASM_DIR ? new URL(`file://${process.env.SIMDNET_WASM_DIR.replace(/\/?$/, '/')}`) : new URL('../build/', import.meta.url);
  const file = new URL(`simdnet.${fma ? 'fma' : 'simd'}.wasm`, dir);
  const bytes = readFileSync(file);
  if (!WebAssembly.validate(bytes)) throw new Error(`${file.pathname} does not validate here (relaxed SIMD missing?)`);
  const memory = new WebAssembly.Memory({ initial: 2 });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  let top = 65536;
  const reserve = (floats) => {
    const ptr = top;
    top += Math.ceil((floats * 4) / 64) * 64;
    if (top > memory.buffer.byteLength) memory.grow(Math.ceil((top - memory.buffer.byteLength) / 65536));
    new Float32Array(memory.buffer, ptr, floats).fill(0);
    return ptr;
  };
  const f32 = (ptr, count) => new Float32Array(memory.buffer, ptr, count);
  const reset = () => {
    top = 65536;
  };
  return { k: instance.exports, reserve, f32, reset, fma };
}

let seed = 12345;
function random() {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 4294967296 * 2 - 1;
}

function randomBuffer(env, count) {
  const ptr = env.reserve(count);
  const view = env.f32(ptr, count);
  for (let i = 0; i < count; i++) view[i] = random();
  return ptr;
}

const TIMING = { warmupMs: WARMUP_MS, reps: REPS, repMs: REP_MS };

/**
 * Median seconds per call of fn after warm-up (V8 tiers wasm up from its baseline compiler), and
 * the peak multiply-add rate measured in between its reps: this machine is shared, so a figure is
 * only compared with the peak that ran under the same load.
 */
function time(env, fn) {
  const { seconds, peakGflops } = timeAgainstPeak(env.k, fn, TIMING);
  return { seconds, peak: peakGflops };
}

function check(what, samples) {
  for (const { got, want, scale } of samples) {
    if (!(Math.abs(got - want) <= 1e-4 * scale + 1e-20)) {
      throw new Error(`${what}: validation failed, got ${got}, want ${want} (scale ${scale})`);
    }
  }
}

// ---- GEMM at the dense layers' shapes.

function benchGemm(env, form, m, k, n) {
  const { k: kern } = env;
  env.reset();
  const aRows = form === 'TN' ? k : m;
  const aCols = form === 'TN' ? m : k;
  const bRows = form === 'NT' ? n : k;
  const bCols = form === 'NT' ? k : n;
  const a = randomBuffer(env, aRows * aCols);
  const b = randomBuffer(env, bRows * bCols);
  const c = env.reserve(m * n);
  const pack = env.reserve(kern.gemmPackFloats(k, n));
  const fn = kern[`gemm${form}`];
  fn(a, b, c, m, k, n, aCols, bCols, n, 0, pack);
  const A = env.f32(a, aRows * aCols);
  const B = env.f32(b, bRows * bCols);
  const C = env.f32(c, m * n);
  const samples = [];
  for (let s = 0; s < 24; s++) {
    const i = Math.floor(Math.abs(random()) * m);
    const j = Math.floor(Math.abs(random()) * n);
    let want = 0;
    let scale = 0;
    for (let p = 0; p < k; p++) {
      const x = form === 'TN' ? A[p * m + i] : A[i * k + p];
      const y = form === 'NT' ? B[j * k + p] : B[p * n + j];
      want += x * y;
      scale += Math.abs(x * y);
    }
    samples.push({ got: C[i * n + j], want, scale });
  }
  check(`gemm${form} ${m}x${k}x${n}`, samples);
  const { seconds, peak } = time(env, () => fn(a, b, c, m, k, n, aCols, bCols, n, 0, pack));
  return { gflops: (2 * m * k * n) / seconds / 1e9, peak };
}

// ---- Convolutions at the conv layers' shapes.

function benchConv(env, which, { h, w, inC, oh, ow, outC, kernel }) {
  const { k: kern } = env;
  env.reset();
  const rows = BATCH * oh * ow;
  const depth = kernel * kernel * inC;
  const input = randomBuffer(env, BATCH * h * w * inC);
  const weights = randomBuffer(env, depth * outC);
  const doutput = randomBuffer(env, rows * outC);
  const output = env.reserve(rows * outC);
  const dweights = env.reserve(depth * outC);
  const dinput = env.reserve(BATCH * h * w * inC);
  const bias = env.reserve(outC); // zero: the checks below are of the convolution alone
  const pack = env.reserve(kern.conv2dScratchFloats(h, w, inC, outC, kernel));
  const X = env.f32(input, BATCH * h * w * inC);
  const W = env.f32(weights, depth * outC);
  const DY = env.f32(doutput, rows * outC);
  const at = (b, y, x, c) => ((b * h + y) * w + x) * inC + c;
  const wAt = (ky, kx, c, o) => ((ky * kernel + kx) * inC + c) * outC + o;
  const pick = (n) => Math.floor(Math.abs(random()) * n);
  const samples = [];
  let run;
  kern.conv2dForward(input, weights, bias, output, pack, BATCH, h, w, inC, oh, ow, outC, kernel, 1, 0, 0, 0);
  if (which === 'forward') {
    const Y = env.f32(output, rows * outC);
    for (let s = 0; s < 24; s++) {
      const [b, oy, ox, o] = [pick(BATCH), pick(oh), pick(ow), pick(outC)];
      let want = 0;
      let scale = 0;
      for (let ky = 0; ky < kernel; ky++)
        for (let kx = 0; kx < kernel; kx++)
          for (let c = 0; c < inC; c++) {
            const p = X[at(b, oy + ky, ox + kx, c)] * W[wAt(ky, kx, c, o)];
            want += p;
            scale += Math.abs(p);
          }
      samples.push({ got: Y[((b * oh + oy) * ow + ox) * outC + o], want, scale });
    }
    run = () => kern.conv2dForward(input, weights, bias, output, pack, BATCH, h, w, inC, oh, ow, outC, kernel, 1, 0, 0, 0);
  } else if (which === 'backward weights') {
    kern.conv2dBackwardWeights(input, doutput, dweights, pack, BATCH, h, w, inC, oh, ow, outC, kernel, 1, 0, depth, 0, outC);
    const DW = env.f32(dweights, depth * outC);
    for (let s = 0; s < 8; s++) {
      const [ky, kx, c, o] = [pick(kernel), pick(kernel), pick(inC), pick(outC)];
      let want = 0;
      let scale = 0;
      for (let b = 0; b < BATCH; b++)
        for (let oy = 0; oy < oh; oy++)
          for (let ox = 0; ox < ow; ox++) {
            const p = X[at(b, oy + ky, ox + kx, c)] * DY[((b * oh + oy) * ow + ox) * outC + o];
            want += p;
            scale += Math.abs(p);
          }
      samples.push({ got: DW[wAt(ky, kx, c, o)], want, scale });
    }
    run = () => kern.conv2dBackwardWeights(input, doutput, dweights, pack, BATCH, h, w, inC, oh, ow, outC, kernel, 1, 0, depth, 0, outC);
  } else {
    kern.conv2dBackwardInput(doutput, weights, dinput, pack, BATCH, h, w, inC, oh, ow, outC, kernel, 1);
    const DX = env.f32(dinput, BATCH * h * w * inC);
    for (let s = 0; s < 24; s++) {
      const [b, y, x, c] = [pick(BATCH), pick(h), pick(w), pick(inC)];
      let want = 0;
      let scale = 0;
      for (let ky = 0; ky < kernel; ky++)
        for (let kx = 0; kx < kernel; kx++) {
          const oy = y - ky;
          const ox = x - kx;
          if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
          for (let o = 0; o < outC; o++) {
            const p = DY[((b * oh + oy) * ow + ox) * outC + o] * W[wAt(ky, kx, c, o)];
            want += p;
            scale += Math.abs(p);
          }
        }
      samples.push({ got: DX[at(b, y, x, c)], want, scale });
    }
    run = () => kern.conv2dBackwardInput(doutput, weights, dinput, pack, BATCH, h, w, inC, oh, ow, outC, kernel, 1);
  }
  check(`conv ${which} ${h}x${w}x${inC}->${outC} k${kernel}`, samples);
  const { seconds, peak } = time(env, run);
  return { gflops: (2 * rows * depth * outC) / seconds / 1e9, peak };
}

/**
 * The one-channel kernels (assembly/conv-single-channel.ts) that first layers on grey images take:
 * the forward pass (no activation, no pool: as the direct row) and the weight gradient as
 * per-image partials plus their image-order sum. Flops counted as for the direct rows.
 */
function benchSingleChannel(env, which, { h, w, oh, ow, outC, kernel }) {
  const { k: kern } = env;
  env.reset();
  const taps = kernel * kernel;
  const input = randomBuffer(env, BATCH * h * w);
  const weights = randomBuffer(env, taps * outC);
  const doutput = randomBuffer(env, BATCH * oh * ow * outC);
  const output = env.reserve(BATCH * oh * ow * outC);
  const partial = env.reserve(BATCH * taps * outC);
  const dweights = env.reserve(taps * outC);
  const bias = env.reserve(outC);
  const X = env.f32(input, BATCH * h * w);
  const W = env.f32(weights, taps * outC);
  const DY = env.f32(doutput, BATCH * oh * ow * outC);
  const pick = (n) => Math.floor(Math.abs(random()) * n);
  const samples = [];
  const forward = () => kern.conv2dSingleChannelForward(input, weights, bias, output, BATCH, h, w, oh, ow, outC, kernel, 0, 0, 0);
  const weightGradient = () => {
    kern.conv2dSingleChannelPartials(input, doutput, partial, BATCH, h, w, oh, ow, outC, kernel, 0);
    kern.conv2dSumPartials(partial, dweights, BATCH, taps * outC, taps * outC);
  };
  if (which === 'forward') {
    forward();
    const Y = env.f32(output, BATCH * oh * ow * outC);
    for (let s = 0; s < 24; s++) {
      const [b, oy, ox, o] = [pick(BATCH), pick(oh), pick(ow), pick(outC)];
      let want = 0;
      let scale = 0;
      for (let ky = 0; ky < kernel; ky++)
        for (let kx = 0; kx < kernel; kx++) {
          const p = X[(b * h + oy + ky) * w + ox + kx] * W[(ky * kernel + kx) * outC + o];
          want += p;
          scale += Math.abs(p);
        }
      samples.push({ got: Y[((b * oh + oy) * ow + ox) * outC + o], want, scale });
    }
  } else {
    weightGradient();
    const DW = env.f32(dweights, taps * outC);
    for (let s = 0; s < 8; s++) {
      const [ky, kx, o] = [pick(kernel), pick(kernel), pick(outC)];
      let want = 0;
      let scale = 0;
      for (let b = 0; b < BATCH; b++)
        for (let oy = 0; oy < oh; oy++)
          for (let ox = 0; ox < ow; ox++) {
            const p = X[(b * h + oy + ky) * w + ox + kx] * DY[((b * oh + oy) * ow + ox) * outC + o];
            want += p;
            scale += Math.abs(p);
          }
      samples.push({ got: DW[(ky * kernel + kx) * outC + o], want, scale });
    }
  }
  check(`one-channel conv ${which} ${h}x${w}x1->${outC} k${kernel}`, samples);
  const { seconds, peak } = time(env, which === 'forward' ? forward : weightGradient);
  return { gflops: (2 * BATCH * oh * ow * taps * outC) / seconds / 1e9, peak };
}

function benchPeak(env) {
  const gflops = measurePeak(env.k, TIMING);
  return { gflops, peak: gflops };
}

// ---- The shapes: every conv and dense layer of cnn, cnn-tuned, mlp and mlp-tuned.

// Read off the models' layer plans (each layer's shapes come from its own module).
const convs = [];
const denseByShape = new Map();
for (const shape of layerShapes()) {
  if (shape.conv) {
    convs.push({ models: `${shape.model} ${shape.layer}`, ...shape.conv });
  } else {
    const units = [shape.dense.inputs, shape.dense.units];
    const key = units.join('x');
    if (denseByShape.has(key)) denseByShape.get(key).models += `, ${shape.model}`;
    else denseByShape.set(key, { models: shape.model, units });
  }
}
const dense = [...denseByShape.values()];

const filters = process.argv.slice(2);
const wanted = (label) => filters.length === 0 || filters.some((word) => label.includes(word));
const builds = [load(true), load(false)];
const rows = [];
rows.push(['peak: f32x4 multiply-add loop, 12 accumulators', '', ...builds.map(benchPeak)]);

for (const c of convs) {
  for (const which of ['forward', 'backward weights', 'backward input']) {
    const m = BATCH * c.oh * c.ow;
    const depth = c.kernel * c.kernel * c.inC;
    const gemm = which === 'forward' ? `NN ${m}x${depth}x${c.outC}` : which === 'backward weights' ? `TN ${depth}x${m}x${c.outC}` : `NT ${m}x${c.outC}x${depth}`;
    const label = `${c.models} ${c.h}x${c.w}x${c.inC}->${c.outC} k${c.kernel} ${which}`;
    if (wanted(label)) rows.push([label, gemm, ...builds.map((env) => benchConv(env, which, c))]);
  }
  // First layers on grey images train by the one-channel kernels (no input gradient there).
  if (!builds[0].k.conv2dSingleChannelFits(c.inC, c.outC)) continue;
  for (const which of ['forward', 'backward weights']) {
    const label = `${c.models} ${c.h}x${c.w}x1->${c.outC} k${c.kernel} ${which}, one-channel kernels`;
    if (wanted(label)) rows.push([label, 'direct', ...builds.map((env) => benchSingleChannel(env, which, c))]);
  }
}
for (const d of dense) {
  const [inU, outU] = d.units;
  if (!wanted(`${d.models} dense ${inU}->${outU}`)) continue;
  rows.push([`${d.models} dense ${inU}->${outU} forward`, `NN ${BATCH}x${inU}x${outU}`, ...builds.map((env) => benchGemm(env, 'NN', BATCH, inU, outU))]);
  rows.push([`${d.models} dense ${inU}->${outU} dW = Xᵀ·dY`, `TN ${inU}x${BATCH}x${outU}`, ...builds.map((env) => benchGemm(env, 'TN', inU, BATCH, outU))]);
  rows.push([`${d.models} dense ${inU}->${outU} dX = dY·Wᵀ`, `NT ${BATCH}x${outU}x${inU}`, ...builds.map((env) => benchGemm(env, 'NT', BATCH, outU, inU))]);
}

const header = ['layer (batch 64)', 'GEMM m x k x n', 'FMA GFLOP/s', 'of peak', 'plain GFLOP/s', 'of peak'];
const pct = (r) => `${((r.gflops / r.peak) * 100).toFixed(0)}%`;
const table = rows.map(([label, gemm, fma, plain]) => [label, gemm, fma.gflops.toFixed(1), pct(fma), plain.gflops.toFixed(1), pct(plain)]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
const line = (r) => r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
console.log(`simdnet kernels, one thread, Node ${process.version}; median of ${REPS} reps of >= ${REP_MS} ms after ${WARMUP_MS} ms warm-up.`);
console.log('"of peak": against the multiply-add loop timed between the same reps (the machine may be shared).');
console.log(line(header));
for (const r of table) console.log(line(r));
