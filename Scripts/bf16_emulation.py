#!/usr/bin/env python3
"""How far bf16 moves the 32x32 DCGAN golden (Tests/Fixtures/dcgan32.safetensors) from PyTorch's
fp32 values: SwiftGAN's --precision bf16 emulated in PyTorch, and PyTorch's own autocast. The
figures behind BFloat16Tests.networkTolerance.

    /tmp/torchenv/bin/python Scripts/bf16_emulation.py

The emulation: each convolution reads bf16-rounded copies of its input and weights in the
forward and of its output gradient in the backward, and computes in fp32; everything else stays
fp32. D's first layer (thin input) computes its input gradient in fp32 on unrounded operands, as
SwiftGAN's GEMM partner does; G's last layer (thin output) is shown both ways: wholly fp32 (where
oneDNN has no bf16 kernel for it) and with an fp32 forward and bf16 gradients.
Each figure is max |error| over the largest |expected| of a tensor, the tests' measure.
"""
import importlib.util
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
spec = importlib.util.spec_from_file_location('fixtures', os.path.join(ROOT, 'Scripts', 'make_fixtures.py'))
fixtures = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fixtures)
golden = load_file(os.path.join(ROOT, 'Tests', 'Fixtures', 'dcgan32.safetensors'))


def bf16(t):
    return t.to(torch.bfloat16).to(torch.float32)


class RoundValue(torch.autograd.Function):
    """Rounds in the forward; passes the gradient through."""
    @staticmethod
    def forward(ctx, x):
        return bf16(x)

    @staticmethod
    def backward(ctx, g):
        return g


class RoundGradient(torch.autograd.Function):
    """Identity in the forward; rounds the gradient."""
    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        return bf16(g)


class Emulated(nn.Module):
    def __init__(self, conv, mode):
        super().__init__()
        self.conv, self.mode = conv, mode

    def forward(self, x):
        c = self.conv
        if isinstance(c, nn.ConvTranspose2d):
            op = lambda a, w: F.conv_transpose2d(a, w, c.bias, c.stride, c.padding)
        else:
            op = lambda a, w: F.conv2d(a, w, c.bias, c.stride, c.padding)
        if self.mode == 'fp32':
            return op(x, c.weight)
        if self.mode == 'bf16':
            return RoundGradient.apply(op(RoundValue.apply(x), RoundValue.apply(c.weight)))
        if self.mode == 'thin-output':   # fp32 forward; both gradients from bf16 operands
            low = op(RoundValue.apply(x), RoundValue.apply(c.weight))
            return RoundGradient.apply(low - low.detach() + op(x, c.weight).detach())
        # 'thin-input': bf16 forward and weight gradient; fp32 input gradient on unrounded operands
        low = op(RoundValue.apply(x.detach()), RoundValue.apply(c.weight))
        full = op(x, c.weight.detach())
        return RoundGradient.apply(low) + (full - full.detach())


def relative(a, b):
    return ((a - b).abs().max() / b.abs().max()).item()


def errors(kind, emulate=None, g_last='fp32'):
    net = fixtures.G(16, 8, 3) if kind == 'G' else fixtures.D(8, 3)
    net.load_state_dict({k[3:]: v for k, v in golden.items() if k.startswith(kind + '0.')}, strict=False)
    if emulate:
        convs = [i for i, m in enumerate(net.main) if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
        for i in convs:
            mode = 'bf16'
            if kind == 'D' and i == convs[0]:
                mode = 'thin-input'
            if kind == 'G' and i == convs[-1]:
                mode = g_last
            net.main[i] = Emulated(net.main[i], mode)
    x = (golden['z'] if kind == 'G' else golden['real']).clone().requires_grad_(True)
    if emulate:
        y = net(x)
    else:
        with torch.autocast('cpu', dtype=torch.bfloat16):
            y = net(x)
    y.float().backward(golden[kind + '.dy'])
    out = [(relative(y.detach().float(), golden[kind + '.y']), kind + '.y')]
    if kind == 'D':
        out.append((relative(x.grad, golden['D.dx']), 'D.dx'))
    for name, p in net.named_parameters():
        name = name.replace('.conv.', '.')
        out.append((relative(p.grad, golden[f'{kind}.d{name}']), f'{kind}.d{name}'))
    return out


for label, kwargs in [('SwiftGAN bf16 emulated, G last layer fp32', dict(emulate=True)),
                      ('SwiftGAN bf16 emulated, G last layer thin-output bf16', dict(emulate=True, g_last='thin-output')),
                      ('PyTorch autocast(bfloat16)', dict())]:
    worst = sorted(errors('G', **kwargs) + errors('D', **kwargs))[-3:]
    print(f'{label}: largest ' + ', '.join(f'{n} {e:.3f}' for e, n in reversed(worst)))
