// Adam with Keras's defaults, over the model's whole parameter block in one kernel call.
import type { Sequential } from './sequential.js';

export class Adam {
  /** Steps taken so far (Keras's `iterations`). */
  step = 0;

  constructor(
    readonly learningRate: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-7,
  ) {}

  update(model: Sequential): void {
    this.step++;
    const alpha = (this.learningRate * Math.sqrt(1 - this.beta2 ** this.step)) / (1 - this.beta1 ** this.step);
    model.kernels.adamUpdate(model.params, model.grads, model.adamM, model.adamV, model.paramFloats, alpha, this.beta1, this.beta2, this.epsilon);
  }
}
