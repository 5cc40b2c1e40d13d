#!/usr/bin/env python3
"""PyTorch as a peer in the training benchmark: the same architecture as a simdnet model spec
(read as JSON from the --spec argument), batch 64, Adam with the spec's learning rate and
Keras's epsilon, real MNIST images gathered and scaled per step as simdnet does, on N threads.
Prints one JSON line: samplesPerSecond (median of the repeats) and every repeat's figure.

Run by bench/training.js; alone: python3 bench/pytorch.py --spec "$(node -e '...')" --threads 2
"""
import argparse, gzip, json, os, statistics, struct, sys, time


def read_idx(path):
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    magic, count = struct.unpack('>II', data[:8])
    if magic == 0x803:
        rows, cols = struct.unpack('>II', data[8:16])
        return data[16:], count, rows, cols
    return data[8:], count, 1, 1


def find(directory, stem):
    for name in (stem, stem + '.gz'):
        if os.path.exists(os.path.join(directory, name)):
            return os.path.join(directory, name)
    raise SystemExit(f'pytorch.py: {stem} not found in {directory}')


def build(torch, spec):
    nn = torch.nn
    h, w, c = spec['inputShape']
    layers, shape = [], (c, h, w)
    for layer in spec['layers']:
        kind = layer['type']
        if kind == 'conv2d':
            k = layer['kernelSize']
            layers.append(nn.Conv2d(shape[0], layer['filters'], k))
            shape = (layer['filters'], shape[1] - k + 1, shape[2] - k + 1)
            if layer['activation'] == 'relu':
                layers.append(nn.ReLU())
        elif kind == 'maxPooling2d':
            layers.append(nn.MaxPool2d(2))
            shape = (shape[0], shape[1] // 2, shape[2] // 2)
        elif kind == 'averagePooling2d':
            p, s = layer['poolSize'], layer['strides']
            layers.append(nn.AvgPool2d(p, s))
            shape = (shape[0], (shape[1] - p) // s + 1, (shape[2] - p) // s + 1)
        elif kind == 'globalAveragePooling2d':
            layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
            shape = (shape[0],)
        elif kind == 'flatten':
            layers.append(nn.Flatten())
            n = 1
            for d in shape:
                n *= d
            shape = (n,)
        elif kind == 'dense':
            layers.append(nn.Linear(shape[0], layer['units']))
            shape = (layer['units'],)
            if layer['activation'] == 'relu':
                layers.append(nn.ReLU())
        elif kind == 'dropout':
            layers.append(nn.Dropout(layer['rate']))
        else:
            raise SystemExit(f'pytorch.py: no PyTorch layer for {kind}')
    return nn.Sequential(*layers)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--spec', required=True)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--batches', type=int, default=30)
    parser.add_argument('--repeats', type=int, default=5)
    # simdnet bench's warm-up for the same model (bench/training.js passes it), so both sides time the same steps.
    parser.add_argument('--warmup', type=int, default=None)
    parser.add_argument('--data-dir', default=os.environ.get('SIMDNET_DATA', ''))
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    spec = json.loads(args.spec)
    directory = os.path.join(args.data_dir, 'mnist') if os.path.isdir(os.path.join(args.data_dir, 'mnist')) else args.data_dir
    pixels, count, rows, cols = read_idx(find(directory, 'train-images-idx3-ubyte'))
    labels, _, _, _ = read_idx(find(directory, 'train-labels-idx1-ubyte'))
    images = torch.frombuffer(bytearray(pixels), dtype=torch.uint8).reshape(count, 1, rows, cols)
    targets = torch.frombuffer(bytearray(labels), dtype=torch.uint8).long()
    model = build(torch, spec)
    model.train()
    opt = spec.get('optimizer', {'type': 'adam', 'learningRate': 0.001})
    optimizer = torch.optim.Adam(model.parameters(), lr=opt['learningRate'], betas=(opt.get('beta1', 0.9), opt.get('beta2', 0.999)), eps=opt.get('epsilon', 1e-7))
    loss_fn = torch.nn.CrossEntropyLoss()
    order = torch.randperm(count)
    batch, cursor = 64, 0

    def step():
        nonlocal cursor
        if cursor + batch > count:
            cursor = 0
        index = order[cursor:cursor + batch]
        cursor += batch
        x = images[index].float().mul_(1 / 255)
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), targets[index])
        loss.backward()
        optimizer.step()

    for _ in range(args.warmup if args.warmup is not None else max(5, args.batches // 3)):
        step()
    repeats = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        for _ in range(args.batches):
            step()
        repeats.append(args.batches * batch / (time.perf_counter() - started))
    print(json.dumps({'samplesPerSecond': statistics.median(repeats), 'repeats': repeats, 'torch': torch.__version__, 'threads': torch.get_num_threads(), 'warmupBatches': args.warmup if args.warmup is not None else max(5, args.batches // 3)}))


if __name__ == '__main__':
    main()
