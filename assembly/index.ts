// The kernel module's exports. Each file holds one family of kernels, forward beside backward.
export { usesFma } from './simd';
