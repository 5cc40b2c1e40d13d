// Inference passes of conv2d (linear) -> batchNormalization [-> activation relu] [-> maxPooling2d
// 2x2] as one convolution: the batch norm's moving statistics folded into the conv's weights and
// bias (batchNormFoldWeights), the ReLU and the max pool in the conv's epilogue, so none of the
// three passes after it runs and the pool keeps its inline form. Only for inference (forward with
// training false): a training pass normalizes by the batch, which no weights can hold. The folded
// weights are formed again at every inference pass (kernel²·inC·filters multiplies), so they
// follow training and setWeights without being told. Rounding differs from the unfolded passes by
// about an f32 ulp of the conv's sums. Measured (Intel Xeon, 1 thread, batch 256, 1,024 images of
// 28x28, two blocks conv 32/64 -> batch norm -> ReLU -> pool, then dense 128): 124.8 ms unfolded,
// 80.0 folded (1.56x), as fast as the same model with conv(relu) -> pool and no batch norm (81.5);
// most of it is the pool staying inline (the one-channel conv then writes only the pooled maxima).
import type { Ptr } from '../../engine/kernel-table.js';
import type { Layer, LayerContext } from './layer.js';

/** What a batch norm hands the layer before it (Foldable.deferInferenceNormalization). */
export interface NormalizationToFold {
  gamma: Ptr;
  beta: Ptr;
  movingMean: Ptr;
  movingVariance: Ptr;
  epsilon: number;
  /** The batch norm's output, which the layer before writes instead. */
  output: Ptr;
  /** The layer after the batch norm, which may fold in too. */
  next: Layer | undefined;
}

/** How the convolution runs an inference pass with the layers after it folded in. */
export interface FoldedOperands {
  weights: Ptr;
  bias: Ptr;
  output: Ptr;
  relu: boolean;
  /** The max pool after it (its output and argmax), computed inline; null: none. */
  pool: { output: Ptr; argmax: Ptr } | null;
}

export class InferenceFold {
  private readonly weights: Ptr;
  private readonly bias: Ptr;
  private folded: { normalization: NormalizationToFold; operands: FoldedOperands } | null = null;

  /**
   * The fold of the batch norm `next` into a linear layer with weights [rows, channels], or null
   * when `next` is not one; `poolsInline`: whether the layer can take a 2x2 max pool after it.
   */
  static after(context: LayerContext, next: Layer | undefined, rows: number, channels: number, poolsInline: boolean): InferenceFold | null {
    return next?.deferInferenceNormalization ? new InferenceFold(context, next, rows, channels, poolsInline) : null;
  }

  private constructor(
    private readonly context: LayerContext,
    private readonly next: Layer,
    private readonly rows: number,
    private readonly channels: number,
    private readonly poolsInline: boolean,
  ) {
    this.weights = context.engine.reserve(rows * channels * 4, 'batch-norm folded weights');
    this.bias = context.engine.reserve(channels * 4, 'batch-norm folded bias');
  }

  /**
   * The operands of an inference pass, the folded weights formed from the current ones. The
   * layers after are asked on the first pass, when every layer has seen its neighbours.
   */
  operands(): FoldedOperands {
    if (!this.folded) {
      const normalization = this.next.deferInferenceNormalization!();
      const relu = normalization.next?.deferInferenceRelu?.();
      const after = relu ? relu.next : normalization.next;
      const pool = this.poolsInline ? (after?.deferInferencePoolForward?.() ?? null) : null;
      this.folded = { normalization, operands: { weights: this.weights, bias: this.bias, output: normalization.output, relu: !!relu, pool } };
    }
    const { normalization: n, operands } = this.folded;
    const [weights, bias] = this.context.weights;
    this.context.kernels.batchNormFoldWeights(weights, bias, n.gamma, n.beta, n.movingMean, n.movingVariance, this.weights, this.bias, this.rows, this.channels, n.epsilon);
    return operands;
  }
}
