// Train the notebook's CNN on MNIST, evaluate it, save it in the TensorFlow.js format, load it back and predict.
import { createModel, loadDataset, loadModel } from 'simdnet';

const data = await loadDataset('mnist'); // or loadFolderDataset('my-images/'), or datasetFromArrays({ ... })
const model = await createModel('cnn', { data, threads: 'auto' }); // or a spec: { name, inputShape, layers, optimizer }
await model.fit(data.train, {
  epochs: 1,
  limit: 10_000,
  onEpoch: (e) => console.log(`epoch ${e.epoch}: loss ${e.trainLoss.toFixed(3)}, validation accuracy ${e.valAccuracy}`),
});
const { accuracy, loss, confusionMatrix } = model.evaluate(data.test);
console.log(`test accuracy ${accuracy.toFixed(4)}, loss ${loss.toFixed(4)}, 4s taken for 9s: ${confusionMatrix[4][9]}`);
model.save('models/cnn-mnist'); // model.json + group1-shard1of1.bin: tf.loadLayersModel reads them
model.close();

const saved = await loadModel('models/cnn-mnist');
const probabilities = saved.predict(data.test.images.subarray(0, 784)); // the first test image, 28x28 bytes
const best = probabilities.indexOf(Math.max(...probabilities));
console.log(`the saved model says: ${saved.classNames?.[best]} (${(probabilities[best] * 100).toFixed(1)}%)`);
saved.close();
