// The kernel module's exports. Each file holds one family of kernels, forward beside backward.
export { usesFma } from './simd';
export { gemmNN, gemmNT, gemmTN, gemmPackFloats } from './gemm';
export { peakMaddLoop } from './peak';
export { im2col, col2imAdd, conv2dScratchFloats } from './conv-im2col';
export { conv2dForward, conv2dPoolsInline } from './conv-forward';
export { conv2dBackwardWeights, conv2dBackwardInput } from './conv-backward';
export * from './winograd';
export * from './conv-single-channel';
export * from './pool';
export * from './activation';
export * from './batch-norm';
export * from './loss';
export { rngSeed, rngAdvance, threefry2x32 } from './random';
export * from './dropout';
export * from './adam';
export * from './sgd';
export * from './batch';
export * from './memory';
