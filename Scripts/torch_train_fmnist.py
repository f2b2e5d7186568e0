#!/usr/bin/env python3
"""The 32x32 DCGAN trained by PyTorch on Fashion-MNIST with SwiftGAN's defaults, for comparing
sample quality (Scripts/inception_fid.py) between the two at the same budget. Not part of the
test suite.

    python3 Scripts/torch_train_fmnist.py --epochs 2 --seed 1 --threads 2 --samples 2000 --out torch-s1.npy

Same model (Scripts/reference_models.py's DCGAN, as pytorch/examples main.py at 32x32: nz 100,
ngf = ndf = 64), data (Debian's Fashion-MNIST, padded 28 -> 32 with black, scaled to [-1, 1],
reshuffled every epoch, the last partial batch dropped), step (main.py's: D on real and fake,
one Adam step; G through the updated D; BCE on logits), optimizer (Adam 2e-4, betas 0.5 and
0.999) and initialisation (N(0, 0.02), BatchNorm weights N(1, 0.02)). Samples come from G in
eval mode, as `swiftgan sample` draws them; written as float32 (N, 1, 32, 32) in [-1, 1].
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from inception_fid import fashion_mnist  # noqa: E402
from reference_models import Discriminator, Generator, init_weights  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--epochs', type=int, default=2)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--samples', type=int, default=2000)
    p.add_argument('--out', required=True, help='float32 .npy of the samples')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    cfg = {'architecture': 'dcgan', 'imageSize': 32, 'channels': 1, 'nz': 100, 'ngf': 64, 'ndf': 64}
    G, D = Generator(cfg), Discriminator(cfg)
    init_weights(G, True)
    init_weights(D, False)
    optG = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    data = torch.from_numpy(fashion_mnist('train'))
    steps = data.shape[0] // a.batch
    start = time.time()
    for epoch in range(a.epochs):
        order = torch.randperm(data.shape[0])
        for s in range(steps):
            real = data[order[s * a.batch:(s + 1) * a.batch]]
            ones, zeros = torch.ones(a.batch), torch.zeros(a.batch)
            optD.zero_grad()
            loss_real = F.binary_cross_entropy_with_logits(D(real)['adv'].reshape(-1), ones)
            fake = G(torch.randn(a.batch, 100))
            loss_fake = F.binary_cross_entropy_with_logits(D(fake.detach())['adv'].reshape(-1), zeros)
            (loss_real + loss_fake).backward()
            optD.step()
            optG.zero_grad()
            loss_g = F.binary_cross_entropy_with_logits(D(fake)['adv'].reshape(-1), ones)
            loss_g.backward()
            optG.step()
            if s % 200 == 0:
                print(f'[{epoch * steps + s}/{a.epochs * steps}] loss_D {(loss_real + loss_fake).item():.4f} '
                      f'loss_G {loss_g.item():.4f}  {time.time() - start:.0f} s', flush=True)
    G.eval()
    with torch.no_grad():
        samples = torch.cat([G(torch.randn(500, 100)) for _ in range((a.samples + 499) // 500)])[:a.samples]
    np.save(a.out, samples.numpy().astype(np.float32))
    print(f'trained {a.epochs} epochs ({a.epochs * steps} steps) in {time.time() - start:.0f} s; wrote {a.out}')


if __name__ == '__main__':
    main()
