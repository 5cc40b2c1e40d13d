// The simdnet command: dispatches to one file per command and turns every user-facing error
// into one line and a non-zero exit code.
import { SimdnetError } from '../engine/errors.js';
import { runTrain } from './train.js';
import { runStudy } from './study.js';
import { runServe } from './serve.js';
import { runEvaluate } from './evaluate.js';
import { runPredict } from './predict.js';
import { runBench } from './bench.js';

const usage = `simdnet: train CNNs and MLPs on MNIST, Fashion-MNIST or your own images with WebAssembly SIMD

Usage: simdnet <command> [options]

Commands:
  train    train one model on one dataset (or a folder of your own, --data DIR) and test it
  study    train every model on every dataset and compare them
  serve    serve the in-browser demo and the datasets (http://127.0.0.1:8080/)
  evaluate evaluate a saved model (TensorFlow.js layers format) on a test set
  predict  classify PNG images with a saved model
  bench    measure training or inference throughput of a model, or the whole suite (--suite)

Run simdnet <command> --help for a command's options.`;

const commands: Record<string, (argv: string[]) => Promise<void>> = {
  train: runTrain,
  study: runStudy,
  serve: runServe,
  evaluate: runEvaluate,
  predict: runPredict,
  bench: runBench,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(usage);
    return 0;
  }
  const run = commands[command];
  if (!run) throw new SimdnetError(`unknown command '${command}': expected one of ${Object.keys(commands).join(', ')}`);
  await run(rest);
  return 0;
}

// `simdnet train | head` closes stdout early: that is the reader's choice, not a failure to report.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

function report(error: unknown): void {
  if (error instanceof SimdnetError) {
    process.stderr.write(`simdnet: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`simdnet: internal error: ${message}${process.env.SIMDNET_DEBUG ? '\n' + (error as Error).stack : ' (set SIMDNET_DEBUG=1 for details)'}\n`);
    process.exitCode = 1;
  }
}

// An error thrown outside main's promise chain (a timer, a stream callback) is still one line.
process.on('uncaughtException', (error) => {
  report(error);
  process.exit();
});

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
}, report);
