// Architectures are data: a list of layer specs with Keras's names. The four models of the study
// differ only in these numbers.

export type Activation = 'relu' | 'linear' | 'softmax';

export type LayerSpec =
  | { type: 'conv2d'; filters: number; kernelSize: number; activation: Activation }
  | { type: 'maxPooling2d'; poolSize: 2 }
  | { type: 'flatten' }
  | { type: 'dense'; units: number; activation: Activation }
  | { type: 'dropout'; rate: number };

export interface ModelSpec {
  name: string;
  /** Per-sample input shape [height, width, channels]. */
  inputShape: [number, number, number];
  layers: LayerSpec[];
  /** The learning rate the study trains this model with (Adam). */
  learningRate: number;
}

/** Per-sample shape, batch dimension excluded. */
export type Shape = number[];

export function shapeSize(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}
