// The page: start the engine (threads when the page is cross-origin isolated), fetch MNIST from
// data/mnist/ beside the page, train the MLP one epoch, evaluate it and classify a test image.
import { createEngine, fetchDataset } from 'simdnet/web';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const log = (line: string): void => {
  $('log').textContent += `${line}\n`;
};

const engine = await createEngine({ threads: 'auto' });
$('threads').textContent = engine.info.threadNote;
document.body.dataset.threads = String(engine.info.threads);
const mnist = await fetchDataset('mnist', { baseUrl: new URL('data/', location.href) });
$<HTMLButtonElement>('train').disabled = false;

$('train').addEventListener('click', async () => {
  $<HTMLButtonElement>('train').disabled = true;
  try {
    const model = await engine.model('mlp', { seed: 0 });
    $('status').textContent = 'Training…';
    const fit = await model.fit(mnist.train, {
      epochs: 1,
      limit: 20_000,
      onEpoch: (r) => log(`epoch ${r.epoch}: loss ${r.trainLoss.toFixed(4)}, validation accuracy ${((r.valAccuracy ?? 0) * 100).toFixed(2)}%`),
    });
    const { accuracy } = await model.evaluate(mnist.test);
    const probabilities = await model.predict(mnist.test.images.subarray(0, 784));
    const predicted = probabilities.indexOf(Math.max(...probabilities));
    log(`${Math.round(fit.samplesPerSecond)} samples/s on ${engine.info.threads} thread(s)`);
    log(`first test image: predicted ${mnist.classNames[predicted]}, labelled ${mnist.classNames[mnist.test.labels[0]]}`);
    $('status').textContent = `Test accuracy ${(accuracy * 100).toFixed(2)}%`;
    document.body.dataset.accuracy = String(accuracy);
    document.body.dataset.predicted = String(predicted);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    $('status').textContent = message;
    document.body.dataset.error = message;
  }
});
