// Worker threads for Node: each runs simdnet-worker.js (src/engine/worker-node.ts), found beside
// the module that starts them (dist/), or in dist/ when this runs from src/engine (tests).
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { WorkerSpawner } from './thread-pool.js';
import { SimdnetError } from './errors.js';

function workerScript(): string {
  for (const relative of ['./simdnet-worker.js', '../../dist/simdnet-worker.js']) {
    const path = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new SimdnetError('the worker script is not built: run `npm run build` first');
}

export const spawnNodeWorker: WorkerSpawner = (init) =>
  new Promise((resolve, reject) => {
    const worker = new Worker(workerScript());
    worker.once('error', reject);
    worker.once('message', () => {
      // A worker blocked in Atomics.wait must not keep the process alive after the pool's owner is done.
      worker.unref();
      resolve({ terminate: () => void worker.terminate() });
    });
    worker.postMessage(init);
  });
