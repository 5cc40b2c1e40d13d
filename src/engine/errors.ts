/**
 * An error a user can act on: the CLI prints its message as one line, without a stack trace,
 * and exits with `exitCode` (2 for bad usage or input, 1 for failures while running).
 */
export class SimdnetError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = 'SimdnetError';
  }
}
