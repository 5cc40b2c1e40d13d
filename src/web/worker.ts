// The training worker: owns one Engine and at most one resident model, and answers the
// requests of src/web/protocol.ts. Training here keeps the page responsive however long it runs.
import { Engine } from '../engine/engine.js';
import { SimdnetError } from '../engine/errors.js';
import { variantFileName, type FmaChoice, type WasmVariant } from '../engine/wasm.js';
import { withSharedMemory } from '../engine/wasm-shared.js';
import type { WorkerSpawner } from '../engine/thread-pool.js';
import { defaultWarmupBatches, measureThroughput } from '../train/throughput.js';
import { runSuite } from '../bench/suite.js';
import { ResidentModel } from '../api/model.js';
import { parseTrainingSpec } from '../nn/model-spec.js';
import { readWeights, writeWeights } from '../nn/weights.js';
import { layerNames, weightShapes } from '../io/keras-topology.js';
import { MODEL_JSON, WEIGHTS_FILE, assembleWeights, checkGroupBytes, encodeModel, parseModelJson } from '../io/model-format.js';
import type { FromWorker, Request, ToWorker } from './protocol.js';

const scope = self as unknown as {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
};

let engine: Engine | undefined;
/** How 'init' asked for the kernels: the suite builds engines of its own the same way. */
let kernelChoice: { fma: FmaChoice; baseUrl: string | undefined } | undefined;
let model: ResidentModel | undefined;
/** Engine memory before any model: a new model releases back to here, replacing the old. */
let engineBase = 0;
/** Aborts the running fit (a 'stop' request is answered at once, even mid-fit). */
let stopFit: AbortController | undefined;
let queue: Promise<void> = Promise.resolve();

async function fetchBytes(url: URL): Promise<Uint8Array<ArrayBuffer>> {
  const response = await fetch(url);
  if (!response.ok) throw new SimdnetError(`cannot load the kernels from ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * The two builds, each named by a literal new URL(..., import.meta.url) so that a bundler copies
 * the file and rewrites its address; a page's baseUrl takes precedence.
 */
function wasmUrl(variant: WasmVariant, baseUrl: string | undefined): URL {
  if (baseUrl) return new URL(variantFileName(variant), baseUrl);
  return variant.fma ? new URL('./simdnet.fma.wasm', import.meta.url) : new URL('./simdnet.simd.wasm', import.meta.url);
}

/** The variant's bytes: the threaded ones are the single-threaded build with its memory made shared. */
async function variantBytes(variant: WasmVariant, baseUrl: string | undefined): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = await fetchBytes(wasmUrl(variant, baseUrl));
  return variant.shared ? withSharedMemory(bytes) : bytes;
}

/** FMA (relaxed SIMD) where the browser validates it, else plain SIMD, else one clear error. */
async function compileKernels(baseUrl: string | undefined, fma: FmaChoice, shared: boolean): Promise<{ module: WebAssembly.Module; variant: WasmVariant }> {
  if (fma !== 'off') {
    const variant = { fma: true, shared };
    const bytes = await variantBytes(variant, baseUrl);
    if (WebAssembly.validate(bytes)) return { module: await WebAssembly.compile(bytes), variant };
    if (fma === 'on') throw new SimdnetError('fma: "on": this browser does not support WebAssembly relaxed SIMD');
  }
  const variant = { fma: false, shared };
  const bytes = await variantBytes(variant, baseUrl);
  if (!WebAssembly.validate(bytes)) {
    throw new SimdnetError('this browser lacks WebAssembly SIMD (needed: Chrome 91+, Firefox 89+, Safari 16.4+)');
  }
  return { module: await WebAssembly.compile(bytes), variant };
}

/** Kernel threads as nested module workers; the shared memory and module travel in the init message. */
function browserSpawner(baseUrl: string | undefined): WorkerSpawner {
  return (init) =>
    new Promise((resolve, reject) => {
      const name = `simdnet kernels ${init.thread}`;
      const worker = baseUrl
        ? new Worker(new URL('simdnet.kernel-worker.js', baseUrl), { type: 'module', name })
        : new Worker(new URL('./simdnet.kernel-worker.js', import.meta.url), { type: 'module', name });
      worker.onerror = (event) => reject(new SimdnetError(`kernel thread ${init.thread} failed to start: ${event.message || 'simdnet.kernel-worker.js could not be loaded'}`, 1));
      worker.onmessage = () => resolve({ terminate: () => worker.terminate() });
      worker.postMessage(init);
    });
}

function needModel(): ResidentModel {
  if (!model) throw new SimdnetError('no model: build one first (engine.model(...))');
  return model;
}

async function handle(id: number, request: Request): Promise<{ value: unknown; transfer?: Transferable[] }> {
  switch (request.op) {
    case 'init': {
      // Threads need shared memory, which browsers give only to cross-origin isolated pages.
      const threads = (self as unknown as { crossOriginIsolated?: boolean }).crossOriginIsolated ? request.threads : 1;
      const { module, variant } = await compileKernels(request.baseUrl, request.fma, threads > 1);
      kernelChoice = { fma: request.fma, baseUrl: request.baseUrl };
      engine?.close();
      engine = await Engine.fromModule(module, variant, threads, browserSpawner(request.baseUrl));
      engineBase = engine.mark();
      return { value: { variant, threads: engine.threads } };
    }
    case 'build': {
      if (!engine) throw new SimdnetError('the engine is not initialised');
      const spec = parseTrainingSpec(request.spec, 'model spec');
      model = undefined;
      engine.release(engineBase);
      model = new ResidentModel(engine, spec, request.options);
      return { value: { paramCount: model.paramCount, inputSize: model.inputSize, classes: model.classes } };
    }
    case 'fit': {
      const current = needModel();
      stopFit = new AbortController();
      let lastPost = 0;
      const result = await current.fit(request.data, {
        ...request.options,
        onBatch: (progress) => {
          const now = performance.now();
          if (now - lastPost >= request.progressMs || progress.batch === progress.batches) {
            lastPost = now;
            scope.postMessage({ id, type: 'batch', progress });
          }
        },
        onEpoch: (record) => scope.postMessage({ id, type: 'epoch', record }),
        signal: stopFit.signal,
      });
      return { value: result };
    }
    case 'evaluate': {
      const result = needModel().evaluate(request.data);
      return { value: result, transfer: [result.predictions.buffer, result.confidences.buffer] };
    }
    case 'predict': {
      const probs = needModel().predict(request.pixels, request.count);
      return { value: probs, transfer: [probs.buffer] };
    }
    case 'getWeights': {
      const weights = needModel().getWeights();
      return { value: weights, transfer: [weights.buffer] };
    }
    case 'setWeights':
      needModel().setWeights(request.weights);
      return { value: null };
    case 'save': {
      const current = needModel();
      const shapes = weightShapes(current.spec, layerNames(current.spec));
      const { json, bin } = encodeModel(current.spec, readWeights(current.model).map((values, i) => ({ shape: shapes[i], values })), request.metadata);
      return { value: { modelJson: JSON.stringify(json), shards: { [WEIGHTS_FILE]: bin } }, transfer: [bin.buffer] };
    }
    case 'load': {
      if (!engine) throw new SimdnetError('the engine is not initialised');
      const parsed = parseModelJson(request.files.modelJson, MODEL_JSON);
      // Each group's shards, concatenated in the manifest's order, must hold exactly its bytes.
      const groups = parsed.groups.map((group, g) => {
        const parts = group.paths.map((path) => {
          const shard = request.files.shards[path];
          if (!shard) throw new SimdnetError(`${MODEL_JSON} needs the weights file ${path}; choose it together with ${MODEL_JSON}`);
          return shard;
        });
        checkGroupBytes(parsed, g, parts.reduce((sum, part) => sum + part.length, 0), group.paths[0]);
        const bytes = new Uint8Array(group.bytes);
        let at = 0;
        for (const part of parts) {
          bytes.set(part, at);
          at += part.length;
        }
        return bytes;
      });
      const weights = assembleWeights(parsed, groups, MODEL_JSON);
      const spec = parseTrainingSpec(parsed.spec, MODEL_JSON);
      model = undefined;
      engine.release(engineBase);
      model = new ResidentModel(engine, spec, request.options);
      writeWeights(model.model, weights.map((w) => w.values), MODEL_JSON);
      return { value: { paramCount: model.paramCount, inputSize: model.inputSize, classes: model.classes, spec, metadata: parsed.metadata } };
    }
    case 'benchmark': {
      if (!engine) throw new SimdnetError('the engine is not initialised');
      const spec = parseTrainingSpec(request.spec, 'model spec');
      // The code `simdnet bench` runs, on memory above the current model (released afterwards).
      const { options } = request;
      const warmupBatches = options.warmupBatches ?? defaultWarmupBatches(spec, options.batchSize, options.batches);
      return { value: measureThroughput(engine, spec, request.data, { ...options, warmupBatches }) };
    }
    case 'suite': {
      const choice = kernelChoice;
      if (!engine || !choice) throw new SimdnetError('the engine is not initialised');
      // Threads need shared memory (a cross-origin isolated page); one thread runs the private-memory build, as in Node.
      const isolated = (self as unknown as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
      const builds = new Map<boolean, ReturnType<typeof compileKernels>>();
      const build = (shared: boolean) => {
        if (!builds.has(shared)) builds.set(shared, compileKernels(choice.baseUrl, choice.fma, shared));
        return builds.get(shared)!;
      };
      const result = await runSuite(
        {
          engine: async (threads) => {
            const t = isolated ? threads : 1;
            const { module, variant } = await build(t > 1);
            return Engine.fromModule(module, variant, t, t > 1 ? browserSpawner(choice.baseUrl) : undefined);
          },
          machine: request.machine,
        },
        request.data,
        request.options,
        (progress) => scope.postMessage({ id, type: 'suiteProgress', progress }),
      );
      return { value: result };
    }
    case 'stop':
      stopFit?.abort();
      return { value: null };
  }
}

function answer(id: number, request: Request): Promise<void> {
  return handle(id, request).then(
    ({ value, transfer }) => scope.postMessage({ id, type: 'result', value }, transfer ?? []),
    (error: unknown) => {
      const e = error instanceof Error ? error : new Error(String(error));
      scope.postMessage({ id, type: 'error', message: e.message, name: e.name });
    },
  );
}

scope.onmessage = (event) => {
  const { id, ...request } = event.data;
  if (request.op === 'stop') {
    void answer(id, request);
    return;
  }
  queue = queue.then(() => answer(id, request as Request));
};
