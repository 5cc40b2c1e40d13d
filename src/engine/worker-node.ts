// Node entry of a worker thread (bundled to dist/simdnet-worker.js).
import { parentPort } from 'node:worker_threads';
import { runWorkerLoop, type WorkerInit } from './worker-loop.js';

parentPort!.once('message', (init: WorkerInit) => {
  runWorkerLoop(init, () => parentPort!.postMessage('ready'));
});
