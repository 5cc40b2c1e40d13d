// The kernel module's exports. Each file holds one family of kernels, forward beside backward.
export { usesFma } from './simd';
export { gemmNN, gemmNT, gemmTN, gemmPackFloats, peakMaddLoop } from './gemm';
export { im2col, col2imAdd, conv2dForward, conv2dBackwardWeights, conv2dBackwardInput, conv2dScratchFloats, conv2dPoolsInline } from './conv';
export * from './pool';
export * from './activation';
export * from './loss';
export { rngSeed, rngAdvance, threefry2x32 } from './random';
export * from './dropout';
export * from './adam';
export * from './batch';
export * from './memory';
