// TensorFlow.js half of the end-to-end reference test (in the spirit of llm.c's test_gpt2.c):
// given a model description, initial weights and one batch, TF.js's own layers (cpu backend,
// float32) give the logits, loss, every gradient and the weights after a few optimizer steps, for
// simdnet's result to be compared against. Only the layers' forward passes and TF.js's autodiff are
// trusted here; the loss and the Keras-form Adam are a few tf ops each, written out below.
import * as tf from '@tensorflow/tfjs';

export type RefLayer =
  | { type: 'conv2d'; filters: number; kernelSize: number; activation: 'relu' | 'linear' | 'softmax'; padding?: 'valid' | 'same'; strides?: number }
  | { type: 'maxPooling2d'; poolSize: number; strides?: number }
  | { type: 'averagePooling2d'; poolSize: number; strides?: number }
  | { type: 'globalAveragePooling2d' }
  | { type: 'flatten' }
  | { type: 'dense'; units: number; activation: 'relu' | 'linear' | 'softmax' }
  | { type: 'dropout'; rate: number }
  | { type: 'batchNormalization'; momentum?: number; epsilon?: number }
  | { type: 'activation'; activation: 'relu' | 'linear' };

export type RefOptimizer =
  | { type: 'adam'; learningRate: number; beta1?: number; beta2?: number; epsilon?: number } // Keras defaults 0.9, 0.999, 1e-7
  | { type: 'sgd'; learningRate: number; momentum?: number; nesterov?: boolean };

export interface RefInput {
  inputShape: [number, number, number]; // [height, width, channels], NHWC
  layers: RefLayer[]; // the last one is a dense softmax
  /** Every weight in Keras order: for each conv2d/dense layer, kernel then bias (conv kernel [k,k,inC,filters], dense kernel [in, units]); for batch normalization gamma, beta, moving_mean, moving_variance; flat Float32Arrays. */
  weights: Float32Array[];
  images: Float32Array; // [batch, h, w, c] row-major
  labels: Int32Array; // class per sample
  /** For each optimizer step s (0-based) and each dropout layer d (in layer order): the mask simdnet drew, 0 or 1/(1-rate) per element of that layer's input; the TF side multiplies by it instead of drawing its own. Same batch every step. */
  dropoutMasks?: Float32Array[][]; // [step][dropoutLayerIndex]
  optimizer: RefOptimizer;
  steps: number; // e.g. 3; 0 gives only logits, loss and gradients
  /**
   * Which Adam: 'keras' (default) is Keras's ε-outside-the-bias-correction form, which simdnet
   * implements; 'tfjs' is tf.train.adam itself (ε added to √v̂), for cross-checking the two with a
   * tiny ε, where they coincide. Ignored for sgd.
   */
  adamImpl?: 'keras' | 'tfjs';
  /** The loss's label smoothing ε (tf.losses.softmaxCrossEntropy's labelSmoothing); default 0. */
  labelSmoothing?: number;
}

export interface RefOutput {
  logits: Float32Array; // [batch, classes] pre-softmax, at the initial weights, training mode (step 0 masks)
  probabilities: Float32Array; // softmax of logits
  loss: number; // mean categorical cross-entropy over the batch at the initial weights
  gradients: Float32Array[]; // d loss / d trainable weight, Keras order, at the initial weights (step 0 masks)
  weightsAfter: Float32Array[][]; // [step][weight] after each optimizer step (steps entries), every weight (moving statistics too)
}

/** A built layer, or a dropout stand-in, with the input shape it was built on (batch dim excluded). */
type Stage = { kind: 'layer'; layer: tf.layers.Layer } | { kind: 'dropout'; inputShape: number[] };

function makeLayer(l: Exclude<RefLayer, { type: 'dropout' }>, isLast: boolean): tf.layers.Layer {
  switch (l.type) {
    case 'conv2d':
      return tf.layers.conv2d({ filters: l.filters, kernelSize: l.kernelSize, activation: l.activation, padding: l.padding ?? 'valid', strides: l.strides ?? 1, useBias: true, dataFormat: 'channelsLast' });
    case 'maxPooling2d':
      return tf.layers.maxPooling2d({ poolSize: l.poolSize, strides: l.strides ?? l.poolSize, padding: 'valid', dataFormat: 'channelsLast' });
    case 'averagePooling2d':
      return tf.layers.averagePooling2d({ poolSize: l.poolSize, strides: l.strides ?? l.poolSize, padding: 'valid', dataFormat: 'channelsLast' });
    case 'globalAveragePooling2d':
      return tf.layers.globalAveragePooling2d({ dataFormat: 'channelsLast' });
    case 'flatten':
      return tf.layers.flatten();
    case 'batchNormalization':
      return tf.layers.batchNormalization({ axis: -1, momentum: l.momentum, epsilon: l.epsilon });
    case 'activation':
      return tf.layers.activation({ activation: l.activation });
    case 'dense':
      // The final softmax is taken by the loss, from logits, so that the logits can be compared too.
      return tf.layers.dense({ units: l.units, activation: isLast ? 'linear' : l.activation, useBias: true });
  }
}

/** Builds every layer on its symbolic input shape and loads input.weights into it. */
function buildStages(input: RefInput): { stages: Stage[]; variables: tf.Variable[]; all: tf.Variable[]; frozen: tf.Variable[]; classes: number } {
  const last = input.layers[input.layers.length - 1];
  if (last === undefined || last.type !== 'dense' || last.activation !== 'softmax') throw new Error('tfjsReference: the last layer must be a dense softmax');
  const stages: Stage[] = [];
  const variables: tf.Variable[] = [];
  const all: tf.Variable[] = [];
  const frozen: tf.Variable[] = [];
  let x = tf.input({ shape: input.inputShape });
  let w = 0;
  input.layers.forEach((spec, i) => {
    if (spec.type === 'dropout') {
      stages.push({ kind: 'dropout', inputShape: x.shape.slice(1) as number[] });
      return;
    }
    const layer = makeLayer(spec, i === input.layers.length - 1);
    x = layer.apply(x) as tf.SymbolicTensor; // builds the layer (creates its variables)
    const shapes = layer.getWeights().map((t) => t.shape);
    const values = shapes.map((shape) => {
      const flat = input.weights[w++];
      const size = shape.reduce((a, b) => a * b, 1);
      if (flat === undefined || flat.length !== size) throw new Error(`tfjsReference: weight ${w - 1} (${spec.type} layer ${i}) should have ${size} values [${shape}], got ${flat?.length}`);
      return tf.tensor(flat, shape, 'float32');
    });
    layer.setWeights(values); // copies into the layer's variables
    tf.dispose(values);
    // Layer.trainableWeights are LayerVariables; the tf.Variable under each is what the layer's
    // call() reads, so it is what autodiff and the optimizers must see.
    variables.push(...layer.trainableWeights.map((lv) => lv.read() as tf.Variable));
    all.push(...layer.weights.map((lv) => lv.read() as tf.Variable));
    frozen.push(...layer.nonTrainableWeights.map((lv) => lv.read() as tf.Variable));
    stages.push({ kind: 'layer', layer });
  });
  if (w !== input.weights.length) throw new Error(`tfjsReference: the layers take ${w} weight arrays, got ${input.weights.length}`);
  return { stages, variables, all, frozen, classes: last.units };
}

/** Dropout masks of step `step` as tensors of [batch, ...inputShape] (none: dropout is identity). */
function stepMasks(input: RefInput, stages: Stage[], batch: number, step: number): (tf.Tensor | null)[] {
  const dropouts = stages.filter((s): s is Extract<Stage, { kind: 'dropout' }> => s.kind === 'dropout');
  if (input.dropoutMasks === undefined || dropouts.length === 0) return dropouts.map(() => null);
  const masks = input.dropoutMasks[step];
  if (masks === undefined || masks.length !== dropouts.length) throw new Error(`tfjsReference: step ${step} needs ${dropouts.length} dropout masks, got ${masks?.length}`);
  return dropouts.map((d, i) => tf.tensor(masks[i]!, [batch, ...d.inputShape], 'float32'));
}

function forward(stages: Stage[], images: tf.Tensor, masks: (tf.Tensor | null)[]): tf.Tensor {
  let x = images;
  let d = 0;
  for (const s of stages) {
    if (s.kind === 'layer') x = s.layer.apply(x, { training: true }) as tf.Tensor;
    else {
      const mask = masks[d++];
      if (mask) x = tf.mul(x, mask);
    }
  }
  return x;
}

// Mean over the batch of -log softmax(logits)[label], from the logits (softmaxCrossEntropy works
// on logits with a log-sum-exp, so unlike Keras's categoricalCrossentropy on probabilities
// there is no clipping at 1e-7).
function lossOf(logits: tf.Tensor, oneHot: tf.Tensor, labelSmoothing = 0): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(oneHot, logits, undefined, labelSmoothing, tf.Reduction.MEAN) as tf.Scalar;
}

/** One optimizer step from gradients (Keras order), updating `variables` in place. */
type Stepper = { apply(grads: tf.Tensor[]): void; dispose(): void };

function makeStepper(input: RefInput, variables: tf.Variable[]): Stepper {
  const opt = input.optimizer;
  if (opt.type === 'sgd' || input.adamImpl === 'tfjs') {
    const momentum = opt.type === 'sgd' && (opt.momentum ?? 0) !== 0;
    const builtin = opt.type === 'adam'
      ? tf.train.adam(opt.learningRate, opt.beta1 ?? 0.9, opt.beta2 ?? 0.999, opt.epsilon ?? 1e-7)
      : momentum
        ? tf.train.momentum(opt.learningRate, opt.momentum!, opt.nesterov ?? false)
        : tf.train.sgd(opt.learningRate);
    return {
      // TF.js optimizers find their variables by name in the engine's registry.
      apply: (grads) => builtin.applyGradients(variables.map((v, i) => ({ name: v.name, tensor: grads[i]! }))),
      dispose: () => {
        builtin.dispose();
        // MomentumOptimizer.dispose (tfjs-core 4.22) forgets the -lr scalar of SGDOptimizer, its
        // base class: one leaked tensor per call otherwise. (Not `instanceof`: Optimizer overrides
        // Symbol.hasInstance with a duck-type test that every optimizer passes.)
        if (momentum) tf.SGDOptimizer.prototype.dispose.call(builtin);
      },
    };
  }
  // Keras's Adam (keras/src/optimizers/adam.py, update_step), which is also simdnet's:
  //   alpha = lr·√(1-β2^t)/(1-β1^t);  m += (g-m)(1-β1);  v += (g²-v)(1-β2);  p -= (m·alpha)/(√v+ε)
  // tf.train.adam instead divides m̂ = m/(1-β1^t) by √v̂ + ε, v̂ = v/(1-β2^t): the same up to where
  // ε sits. alpha and 1-β are formed in f64 and rounded to f32 once (Keras forms them in f32 ops).
  const beta1 = opt.beta1 ?? 0.9, beta2 = opt.beta2 ?? 0.999, epsilon = opt.epsilon ?? 1e-7;
  const zeros = (p: tf.Variable) => tf.tidy(() => tf.zerosLike(p).variable(false)); // tidy: frees the zerosLike
  const m = variables.map(zeros), v = variables.map(zeros);
  let t = 0;
  return {
    apply: (grads) => {
      t++;
      tf.tidy(() => {
        const alpha = tf.scalar(opt.learningRate * Math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t));
        const a1 = tf.scalar(1 - beta1), a2 = tf.scalar(1 - beta2), eps = tf.scalar(epsilon);
        variables.forEach((p, i) => {
          const g = grads[i]!;
          m[i]!.assign(tf.add(m[i]!, tf.mul(tf.sub(g, m[i]!), a1)));
          v[i]!.assign(tf.add(v[i]!, tf.mul(tf.sub(tf.square(g), v[i]!), a2)));
          p.assign(tf.sub(p, tf.div(tf.mul(m[i]!, alpha), tf.add(tf.sqrt(v[i]!), eps))));
        });
      });
    },
    dispose: () => tf.dispose([...m, ...v]),
  };
}

export async function tfjsReference(input: RefInput): Promise<RefOutput> {
  if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu');
  await tf.ready();
  const [h, wd, c] = input.inputShape;
  const batch = input.labels.length;
  if (input.images.length !== batch * h * wd * c) throw new Error(`tfjsReference: images should have ${batch}×${h}×${wd}×${c} values, got ${input.images.length}`);

  const { stages, variables, all, frozen, classes } = buildStages(input);
  const images = tf.tensor4d(input.images, [batch, h, wd, c], 'float32');
  const oneHot = tf.tidy(() => tf.oneHot(tf.tensor1d(input.labels, 'int32'), classes).toFloat());
  const stepper = makeStepper(input, variables);
  try {
    // Gradients at the current weights with step `step`'s masks, in Keras order.
    const gradsAt = (step: number): { loss: number; grads: tf.Tensor[] } => {
      const masks = stepMasks(input, stages, batch, step);
      try {
        const { value, grads } = tf.variableGrads(() => lossOf(forward(stages, images, masks), oneHot, input.labelSmoothing), variables);
        const loss = value.dataSync()[0]!;
        value.dispose();
        return { loss, grads: variables.map((v) => grads[v.name]!) };
      } finally {
        tf.dispose(masks.filter((t): t is tf.Tensor => t !== null));
      }
    };

    // A training forward pass moves batch normalization's moving statistics: the one for the
    // logits alone must not, so that each optimizer step below moves them once, as simdnet's do.
    const before = frozen.map((v) => tf.clone(v));
    const [logits, probabilities] = tf.tidy(() => {
      const masks = stepMasks(input, stages, batch, 0);
      const z = forward(stages, images, masks);
      return [z.dataSync().slice() as Float32Array, tf.softmax(z).dataSync().slice() as Float32Array];
    });
    frozen.forEach((v, i) => v.assign(before[i]!));
    tf.dispose(before);
    const first = gradsAt(0);
    const gradients = first.grads.map((g) => g.dataSync().slice() as Float32Array);

    const weightsAfter: Float32Array[][] = [];
    let grads = first.grads;
    for (let s = 0; s < input.steps; s++) {
      if (s > 0) grads = gradsAt(s).grads;
      stepper.apply(grads);
      tf.dispose(grads);
      weightsAfter.push(all.map((v) => v.dataSync().slice() as Float32Array));
    }
    if (input.steps === 0) tf.dispose(grads);
    return { logits, probabilities, loss: first.loss, gradients, weightsAfter };
  } finally {
    stepper.dispose();
    tf.dispose([images, oneHot]);
    for (const s of stages) if (s.kind === 'layer') s.layer.dispose();
  }
}
