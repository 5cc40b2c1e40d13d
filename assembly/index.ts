// The kernel module's exports. Each file holds one family of kernels, forward beside backward.
export { usesFma } from './simd';
export * from './gemm';
export * from './conv';
export * from './pool';
export * from './activation';
export * from './loss';
export { rngSeed, rngAdvance, threefry2x32 } from './random';
export * from './dropout';
export * from './adam';
export * from './batch';
export * from './memory';
