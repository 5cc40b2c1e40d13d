// A kernel thread of a page's engine (bundled to simdnet.kernel-worker.js): the training worker
// starts threads-1 of these; each instantiates the kernels on the shared memory and runs the
// calls the pool queues for it (src/engine/worker-loop.ts, the same loop as in Node).
import { runWorkerLoop, type WorkerInit } from '../engine/worker-loop.js';

const scope = self as unknown as { onmessage: ((event: MessageEvent<WorkerInit>) => void) | null; postMessage(message: string): void };

scope.onmessage = (event) => {
  scope.onmessage = null;
  runWorkerLoop(event.data, () => scope.postMessage('ready'));
};
