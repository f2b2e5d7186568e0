#!/usr/bin/env python3
"""Writes the PyTorch golden values that the Swift test suite compares against.

    python3 Scripts/make_fixtures.py            # writes Tests/Fixtures/*.safetensors

Needs torch (CPU) and numpy; the test suite itself needs neither. Every input is drawn in
float32 and every reference is computed by PyTorch in float64 from those float32 values, so
the tests measure SwiftGAN's float32 error alone. Files are safetensors, written here by hand
(8-byte little-endian header length, JSON header, raw little-endian data).

Layer fixtures (layers.safetensors), one prefix per case:
  linear, conv_k4s2p1, conv_k3s1p1_bias, conv_k4s1p0, convt_k4s1p0, convt_k4s2p1, convt_k3s2p1,
  bn2d (training and eval), bn1d, relu, lrelu, tanh, sigmoid, bce1, bce0, adam.
  Each holds x, the parameters, y, an upstream gradient dy, and dx plus the parameter gradients.
Image geometry (celeba-like.jpg, celeba-like-64.png, celeba-like-crop108-64.png), where Pillow is
  installed: a synthetic 178x218 JPEG and Pillow's Resize(64)+CenterCrop(64), and 108 centre crop +
  Resize(64), which torchvision applies to PIL images.
Decoding (decoding/*.png|jpg, decoding.safetensors), where Pillow is installed: PNGs of every
  colour model (16-bit RGB and grey, RGBA, grey+alpha, palette with tRNS, 1-bit) and a CMYK JPEG,
  with what Pillow's convert('RGB') and convert('L') make of them. Exception, on purpose: Pillow
  clips 16-bit grey to 255 (its I;16 -> L conversion saturates), so for grey16.png the expected
  values are the linear scaling (the high byte) that SwiftGAN applies to every 16-bit PNG.
Objective fixtures (objectives.safetensors): softmax cross-entropy, Gaussian NLL with fixed and
  learned variance, a Linear + BatchNorm1d + LeakyReLU + Linear chain, and one complete training
  iteration (both Adam updates) of AC-GAN (DCGAN backbone, 32x32) and of InfoGAN (the paper's MNIST
  network at small widths), with the modules of Scripts/reference_models.py.
Metric fixtures (metrics.safetensors), with numpy and scipy: the Fréchet distance of two feature
  sets (scipy.linalg.sqrtm, as pytorch-fid), ProGAN's Laplacian pyramid (pyr_down/pyr_up with mode
  'mirror'), descriptor normalisation and sliced Wasserstein distance on given directions,
  Kynkäänniemi precision/recall (k = 3) by brute force, and an optimal assignment
  (scipy.optimize.linear_sum_assignment).
Feature fixtures (features.safetensors): a small 32x32 DCGAN discriminator's features as the
  DCGAN paper takes them (the activation after every convolutional block, AdaptiveMaxPool2d(4),
  flattened and concatenated), computed with PyTorch in eval mode.
Network fixtures (dcgan32.safetensors): a 32x32x3 DCGAN (nz 16, ngf = ndf = 8, batch 4),
  G forward/backward, D forward/backward, and one full training iteration as main.py does it.
"""
import json
import os
import struct
import sys
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
np.random.seed(0)
F64 = torch.float64
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'Tests', 'Fixtures')


def save(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name].detach().cpu().numpy().astype('<f4'))
        raw = a.tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(a.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header['__metadata__'] = metadata
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * ((8 - len(text) % 8) % 8)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)
    print(f'{path}: {len(tensors)} tensors, {offset} bytes')


def r32(*shape, scale=1.0, shift=0.0):
    """float32 random values, promoted to float64 for the reference computation."""
    return (torch.randn(*shape, dtype=torch.float32) * scale + shift).to(F64)


def run_module(prefix, module, x, out, dy=None, train=True):
    module = module.to(F64)
    module.train(train)
    x = x.clone().requires_grad_(True)
    y = module(x)
    dy = r32(*y.shape) if dy is None else dy
    y.backward(dy)
    out[f'{prefix}.x'] = x
    out[f'{prefix}.y'] = y
    out[f'{prefix}.dy'] = dy
    out[f'{prefix}.dx'] = x.grad
    for name, p in module.named_parameters():
        out[f'{prefix}.{name}'] = p
        out[f'{prefix}.d{name}'] = p.grad
    for name, b in module.named_buffers():
        if b.dtype.is_floating_point:
            out[f'{prefix}.{name}'] = b


def set_params(module, **values):
    for name, v in values.items():
        getattr(module, name).data.copy_(v)


def layers():
    out = {}
    m = nn.Linear(12, 7)
    set_params(m, weight=r32(7, 12, scale=0.3), bias=r32(7, scale=0.3))
    run_module('linear', m, r32(4, 12), out)

    m = nn.Conv2d(3, 5, 4, 2, 1, bias=False)
    set_params(m, weight=r32(5, 3, 4, 4, scale=0.2))
    run_module('conv_k4s2p1', m, r32(3, 3, 8, 8), out)
    m = nn.Conv2d(4, 6, 3, 1, 1, bias=True)
    set_params(m, weight=r32(6, 4, 3, 3, scale=0.2), bias=r32(6, scale=0.2))
    run_module('conv_k3s1p1_bias', m, r32(2, 4, 7, 5), out)
    m = nn.Conv2d(6, 1, 4, 1, 0, bias=False)
    set_params(m, weight=r32(1, 6, 4, 4, scale=0.2))
    run_module('conv_k4s1p0', m, r32(3, 6, 4, 4), out)

    m = nn.ConvTranspose2d(6, 5, 4, 1, 0, bias=False)
    set_params(m, weight=r32(6, 5, 4, 4, scale=0.2))
    run_module('convt_k4s1p0', m, r32(3, 6, 1, 1), out)
    m = nn.ConvTranspose2d(4, 3, 4, 2, 1, bias=False)
    set_params(m, weight=r32(4, 3, 4, 4, scale=0.2))
    run_module('convt_k4s2p1', m, r32(2, 4, 5, 3), out)
    m = nn.ConvTranspose2d(3, 2, 3, 2, 1, bias=False)
    set_params(m, weight=r32(3, 2, 3, 3, scale=0.2))
    run_module('convt_k3s2p1', m, r32(2, 3, 4, 4), out)

    # BatchNorm: training mode from PyTorch's initial running statistics (0, 1), then
    # eval mode with the running statistics that one training step left behind.
    m = nn.BatchNorm2d(3)
    set_params(m, weight=r32(3, scale=0.1, shift=1.0), bias=r32(3, scale=0.1))
    run_module('bn2d', m, r32(4, 3, 5, 5, scale=2.0, shift=1.5), out)
    m.eval()
    x = r32(2, 3, 5, 5, scale=2.0, shift=1.5)
    out['bn2d_eval.x'] = x
    out['bn2d_eval.y'] = m(x)
    m = nn.BatchNorm1d(5)
    set_params(m, weight=r32(5, scale=0.1, shift=1.0), bias=r32(5, scale=0.1))
    run_module('bn1d', m, r32(6, 5, scale=0.5, shift=-0.3), out)

    run_module('relu', nn.ReLU(), r32(4, 3, 2, 2), out)
    run_module('lrelu', nn.LeakyReLU(0.2), r32(4, 3, 2, 2), out)
    run_module('tanh', nn.Tanh(), r32(4, 3, 2, 2), out)
    run_module('sigmoid', nn.Sigmoid(), r32(4, 3, 2, 2), out)

    for target in (1, 0):
        z = r32(6, 1, 1, 1, scale=3.0).requires_grad_(True)
        loss = F.binary_cross_entropy_with_logits(z, torch.full_like(z, float(target)))
        loss.backward()
        out[f'bce{target}.z'] = z
        out[f'bce{target}.loss'] = loss.reshape(1)
        out[f'bce{target}.dz'] = z.grad

    # Adam (lr 0.01, betas (0.5, 0.999)) for three steps with given gradients.
    p = nn.Parameter(r32(10))
    out['adam.p0'] = p.detach().clone()
    opt = torch.optim.Adam([p], lr=0.01, betas=(0.5, 0.999))
    for step in range(1, 4):
        g = r32(10)
        p.grad = g
        opt.step()
        out[f'adam.g{step}'] = g
        out[f'adam.p{step}'] = p.detach().clone()
    save(os.path.join(OUT, 'layers.safetensors'), out)


class G(nn.Module):
    """pytorch/examples dcgan Generator, 32x32 variant (one stride-2 layer fewer)."""
    def __init__(self, nz, ngf, nc):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())

    def forward(self, x):
        return self.main(x)


class D(nn.Module):
    """pytorch/examples dcgan Discriminator, 32x32 variant, returning logits."""
    def __init__(self, ndf, nc):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 4, 1, 4, 1, 0, bias=False))

    def forward(self, x):
        return self.main(x).view(-1, 1, 1, 1)


def init_dcgan(m):
    for mod in m.modules():
        if isinstance(mod, (nn.Conv2d, nn.ConvTranspose2d)):
            mod.weight.data.copy_(r32(*mod.weight.shape, scale=0.02))
        elif isinstance(mod, nn.BatchNorm2d):
            mod.weight.data.copy_(r32(*mod.weight.shape, scale=0.02, shift=1.0))
            mod.bias.data.zero_()


def state(prefix, m, out):
    for name, t in m.state_dict().items():
        if t.dtype.is_floating_point:
            out[f'{prefix}.{name}'] = t.clone()


def dcgan():
    nz, ngf, ndf, nc, n = 16, 8, 8, 3, 4
    out = {}
    netG, netD = G(nz, ngf, nc).to(F64), D(ndf, nc).to(F64)
    init_dcgan(netG)
    init_dcgan(netD)
    state('G0', netG, out)
    state('D0', netD, out)
    z = r32(n, nz, 1, 1)
    real = torch.tanh(r32(n, nc, 32, 32))
    out['z'] = z
    out['real'] = real

    # G forward and backward against a random upstream gradient.
    fake = netG(z)
    dfake = r32(*fake.shape)
    fake.backward(dfake)
    out['G.y'] = fake
    out['G.dy'] = dfake
    for name, p in netG.named_parameters():
        out[f'G.d{name}'] = p.grad.clone()
    state('G1', netG, out)                       # running statistics after one forward

    # D forward and backward, including the input gradient.
    x = real.clone().requires_grad_(True)
    logits = netD(x)
    dlogits = r32(*logits.shape)
    logits.backward(dlogits)
    out['D.y'] = logits
    out['D.dy'] = dlogits
    out['D.dx'] = x.grad
    for name, p in netD.named_parameters():
        out[f'D.d{name}'] = p.grad.clone()
    state('D1', netD, out)

    # One full training iteration from the initial state, as main.py (BCE on logits).
    netG, netD = G(nz, ngf, nc).to(F64), D(ndf, nc).to(F64)
    netG.load_state_dict({k[3:]: v for k, v in out.items() if k.startswith('G0.')}, strict=False)
    netD.load_state_dict({k[3:]: v for k, v in out.items() if k.startswith('D0.')}, strict=False)
    optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    netD.zero_grad()
    out_real = netD(real)
    errD_real = bce(out_real, torch.ones_like(out_real))
    errD_real.backward()
    fake = netG(z)
    out_fake = netD(fake.detach())
    errD_fake = bce(out_fake, torch.zeros_like(out_fake))
    errD_fake.backward()
    optD.step()
    netG.zero_grad()
    out_g = netD(fake)
    errG = bce(out_g, torch.ones_like(out_g))
    errG.backward()
    optG.step()
    out['step.lossD'] = (errD_real + errD_fake).reshape(1)
    out['step.lossG'] = errG.reshape(1)
    out['step.Dx'] = torch.sigmoid(out_real).mean().reshape(1)
    out['step.DGz1'] = torch.sigmoid(out_fake).mean().reshape(1)
    out['step.DGz2'] = torch.sigmoid(out_g).mean().reshape(1)
    state('G2', netG, out)
    state('D2', netD, out)
    save(os.path.join(OUT, 'dcgan32.safetensors'), out,
         {'nz': str(nz), 'ngf': str(ngf), 'ndf': str(ndf), 'nc': str(nc), 'batch': str(n), 'torch': torch.__version__})


def geometry():
    try:
        from PIL import Image, ImageDraw
    except ImportError:
        print('Pillow not installed: geometry fixtures not written')
        return
    rng = np.random.default_rng(5)
    y, x = np.mgrid[0:218, 0:178]
    base = np.stack([(x * 1.3 + y * 0.4) % 256, (y * 0.9) % 256, np.full_like(x, 90)], -1).astype(np.float32)
    base += rng.normal(0, 12, base.shape)
    img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for cx, cy, r, color in [(40, 60, 25, (250, 20, 20)), (120, 150, 35, (20, 240, 60)), (89, 109, 15, (255, 255, 0))]:
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=color)
    jpeg = os.path.join(OUT, 'celeba-like.jpg')
    img.save(jpeg, quality=90)
    decoded = Image.open(jpeg).convert('RGB')
    w, h = decoded.size
    nh = int(64 * h / w)
    resized = decoded.resize((64, nh), Image.BILINEAR)
    top = int(round((nh - 64) / 2.0))
    resized.crop((0, top, 64, top + 64)).save(os.path.join(OUT, 'celeba-like-64.png'))
    left, top = int(round((w - 108) / 2.0)), int(round((h - 108) / 2.0))
    decoded.crop((left, top, left + 108, top + 108)).resize((64, 64), Image.BILINEAR).save(os.path.join(OUT, 'celeba-like-crop108-64.png'))
    print('geometry fixtures written')


def png_file(path, w, h, bitdepth, colortype, rows, palette=None, trns=None):
    """A minimal PNG writer (Pillow cannot write every colour model at every depth)."""
    def chunk(t, d):
        return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    body = chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, bitdepth, colortype, 0, 0, 0))
    if palette is not None:
        body += chunk(b'PLTE', bytes(palette))
    if trns is not None:
        body += chunk(b'tRNS', bytes(trns))
    raw = b''.join(b'\x00' + r for r in rows)
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + body + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))


def decoding():
    try:
        from PIL import Image
    except ImportError:
        print('Pillow not installed: decoding fixtures not written')
        return
    rng = np.random.default_rng(11)
    folder = os.path.join(OUT, 'decoding')
    os.makedirs(folder, exist_ok=True)
    w, h = 7, 5
    out = {}
    files = {}
    v16 = rng.integers(0, 65536, (h, w, 3)).astype('>u2')
    files['rgb16.png'] = (16, 2, [v16[y].tobytes() for y in range(h)], None, None)
    g16 = rng.integers(0, 65536, (h, w)).astype('>u2')
    files['grey16.png'] = (16, 0, [g16[y].tobytes() for y in range(h)], None, None)
    rgba = rng.integers(0, 256, (h, w, 4)).astype(np.uint8)
    files['rgba.png'] = (8, 6, [rgba[y].tobytes() for y in range(h)], None, None)
    la = rng.integers(0, 256, (h, w, 2)).astype(np.uint8)
    files['greyalpha.png'] = (8, 4, [la[y].tobytes() for y in range(h)], None, None)
    pal = rng.integers(0, 256, (4, 3)).astype(np.uint8)
    idx = rng.integers(0, 4, (h, w)).astype(np.uint8)
    files['palette.png'] = (8, 3, [idx[y].tobytes() for y in range(h)], pal.tobytes(), bytes([255, 0, 128, 255]))
    bits = rng.integers(0, 2, (h, 8)).astype(np.uint8)
    files['bilevel.png'] = (1, 0, [np.packbits(bits[y]).tobytes() for y in range(h)], None, None)
    for name, (depth, colortype, rows, palette, trns) in files.items():
        png_file(os.path.join(folder, name), w, h, depth, colortype, rows, palette, trns)
    cmyk = Image.fromarray(rng.integers(0, 256, (16, 16, 4)).astype(np.uint8), 'CMYK')
    cmyk.save(os.path.join(folder, 'cmyk.jpg'), quality=95)
    for name in list(files) + ['cmyk.jpg']:
        im = Image.open(os.path.join(folder, name))
        key = name.split('.')[0]
        out[f'{key}.rgb'] = torch.tensor(np.asarray(im.convert('RGB')), dtype=torch.float32)
        out[f'{key}.l'] = torch.tensor(np.asarray(im.convert('L')), dtype=torch.float32)
    high = (g16.astype(np.uint16) >> 8).astype(np.float32)
    out['grey16.rgb'] = torch.tensor(np.repeat(high[:, :, None], 3, axis=2))
    out['grey16.l'] = torch.tensor(high)
    save(os.path.join(OUT, 'decoding.safetensors'), out, {'pillow': Image.__version__})


def objectives():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from reference_models import Generator, Discriminator, conditioning, init_weights
    torch.manual_seed(1)
    out = {}
    z = r32(6, 5, scale=2.0).requires_grad_(True)
    labels = torch.tensor([0, 3, 4, 1, 1, 2])
    loss = F.cross_entropy(z, labels)
    loss.backward()
    out.update({'ce.z': z, 'ce.labels': labels.to(F64), 'ce.loss': loss.reshape(1), 'ce.dz': z.grad})
    mu, x = r32(6, 2).requires_grad_(True), r32(6, 2)
    loss = nn.GaussianNLLLoss()(mu, x, torch.ones_like(mu))
    loss.backward()
    out.update({'nll.mu': mu, 'nll.x': x, 'nll.loss': loss.reshape(1), 'nll.dmu': mu.grad})
    mu, logvar, x = r32(6, 2).requires_grad_(True), r32(6, 2, scale=0.5).requires_grad_(True), r32(6, 2)
    loss = nn.GaussianNLLLoss()(mu, x, torch.exp(logvar))
    loss.backward()
    out.update({'nllv.mu': mu, 'nllv.logvar': logvar, 'nllv.x': x, 'nllv.loss': loss.reshape(1),
                'nllv.dmu': mu.grad, 'nllv.dlogvar': logvar.grad})
    m = nn.Sequential(nn.Linear(12, 8), nn.BatchNorm1d(8), nn.LeakyReLU(0.1), nn.Linear(8, 3))
    set_params(m[0], weight=r32(8, 12, scale=0.3), bias=r32(8, scale=0.3))
    set_params(m[1], weight=r32(8, scale=0.1, shift=1.0), bias=r32(8, scale=0.1))
    set_params(m[3], weight=r32(3, 8, scale=0.3), bias=r32(3, scale=0.3))
    run_module('chain', m, r32(6, 12), out)

    bce = nn.BCEWithLogitsLoss()
    ce = nn.CrossEntropyLoss()
    nll = nn.GaussianNLLLoss()
    models = {
        'acgan': {'architecture': 'acgan', 'backbone': 'dcgan', 'imageSize': 32, 'channels': 1, 'nz': 8, 'ngf': 4, 'ndf': 4,
                  'classes': 4, 'categorical': [], 'continuous': 0},
        'infogan': {'architecture': 'infogan', 'backbone': 'mnist', 'imageSize': 28, 'channels': 1, 'nz': 8, 'ngf': 4, 'ndf': 4,
                    'classes': 0, 'categorical': [4], 'continuous': 2},
    }
    n = 6
    for key, cfg in models.items():
        width, _ = conditioning(cfg)
        G, D = Generator(cfg).to(F64), Discriminator(cfg).to(F64)
        for net in (G, D):
            init_weights(net, None)
            for p_ in net.parameters():
                p_.data.copy_(p_.data.float().to(F64))
        state(f'{key}.G0', G, out)
        state(f'{key}.D0', D, out)
        size = cfg['imageSize']
        real = torch.tanh(r32(n, 1, size, size))
        real_labels = torch.tensor([0, 1, 2, 3, 1, 2])
        zin = torch.zeros(n, width, dtype=F64)
        zin[:, :cfg['nz']] = r32(n, cfg['nz'])
        sampled = torch.tensor([3, 0, 2, 1, 1, 0])
        cont = (torch.rand(n, 2, dtype=torch.float32) * 2 - 1).to(F64)
        if key == 'acgan':
            zin[torch.arange(n), cfg['nz'] + sampled] = 1
        else:
            zin[torch.arange(n), cfg['nz'] + sampled] = 1
            zin[:, cfg['nz'] + 4:] = cont
        out[f'{key}.real'] = real
        out[f'{key}.labels'] = real_labels.to(F64)
        out[f'{key}.z'] = zin
        out[f'{key}.sampled'] = sampled.to(F64)
        out[f'{key}.continuous'] = cont
        lr_g = 1e-3 if key == 'infogan' else 2e-4
        optD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
        optG = torch.optim.Adam(G.parameters(), lr=lr_g, betas=(0.5, 0.999))

        def info(o):
            return 1.0 * ce(o['q'][:, :4], sampled) + 0.1 * nll(o['q'][:, 4:6], cont, torch.ones(n, 2, dtype=F64))

        D.zero_grad()
        o_real = D(real, heads=('adv', 'cls'))
        loss_real = bce(o_real['adv'], torch.ones(n, 1, dtype=F64))
        if key == 'acgan':
            loss_real = loss_real + ce(o_real['cls'], real_labels)
        loss_real.backward()
        fake = G(zin)
        o_fake = D(fake.detach())
        loss_fake = bce(o_fake['adv'], torch.zeros(n, 1, dtype=F64))
        loss_fake = loss_fake + (ce(o_fake['cls'], sampled) if key == 'acgan' else info(o_fake))
        loss_fake.backward()
        for name, p_ in D.named_parameters():
            out[f'{key}.gradD.{name}'] = p_.grad.clone()
        optD.step()
        G.zero_grad()
        o_g = D(fake)
        adv_g = bce(o_g['adv'], torch.ones(n, 1, dtype=F64))
        extra = ce(o_g['cls'], sampled) if key == 'acgan' else info(o_g)
        (adv_g + extra).backward()
        for name, p_ in G.named_parameters():
            out[f'{key}.gradG.{name}'] = p_.grad.clone()
        optG.step()
        metrics = {'loss_d': loss_real + loss_fake, 'loss_g': adv_g + extra,
                   'd_x': torch.sigmoid(o_real['adv']).mean(), 'd_g_z1': torch.sigmoid(o_fake['adv']).mean(),
                   'd_g_z2': torch.sigmoid(o_g['adv']).mean()}
        if key == 'acgan':
            metrics.update({'acc_real': (o_real['cls'].argmax(1) == real_labels).double().mean(),
                            'acc_fake': (o_fake['cls'].argmax(1) == sampled).double().mean(), 'loss_class': extra})
        else:
            metrics.update({'loss_info': extra, 'acc_code': (o_g['q'][:, :4].argmax(1) == sampled).double().mean()})
        for name, v in metrics.items():
            out[f'{key}.metric.{name}'] = v.detach().reshape(1)
        state(f'{key}.G2', G, out)
        state(f'{key}.D2', D, out)
    save(os.path.join(OUT, 'objectives.safetensors'), out, {'torch': torch.__version__})


def metrics():
    import scipy.linalg
    import scipy.ndimage
    import scipy.optimize
    rng = np.random.default_rng(21)
    out = {}
    a = rng.normal(size=(200, 8)).astype(np.float32)
    b = (rng.normal(size=(150, 8)) @ rng.normal(size=(8, 8)) * 0.5 + 0.3).astype(np.float32)
    mu1, mu2 = a.astype(np.float64).mean(0), b.astype(np.float64).mean(0)
    s1, s2 = np.cov(a.astype(np.float64), rowvar=False), np.cov(b.astype(np.float64), rowvar=False)
    covmean = scipy.linalg.sqrtm(s1.dot(s2)).real
    fd = ((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)
    out.update({'fd.a': a, 'fd.b': b, 'fd.value': np.array([fd]), 'fd.cov_a': s1, 'fd.mean_a': mu1})

    g = np.float64([[1, 4, 6, 4, 1], [4, 16, 24, 16, 4], [6, 24, 36, 24, 6], [4, 16, 24, 16, 4], [1, 4, 6, 4, 1]]) / 256.0

    def pyr_down(x):
        return scipy.ndimage.convolve(x, g[None, None], mode='mirror')[:, :, ::2, ::2]

    def pyr_up(x):
        S = x.shape
        res = np.zeros((S[0], S[1], S[2] * 2, S[3] * 2), x.dtype)
        res[:, :, ::2, ::2] = x
        return scipy.ndimage.convolve(res, g[None, None] * 4.0, mode='mirror')

    img = rng.uniform(0, 255, size=(1, 2, 32, 32)).round()
    pyramid = [img.copy()]
    for i in range(1, 2):
        pyramid.append(pyr_down(pyramid[-1]))
        pyramid[-2] -= pyr_up(pyramid[-1])
    out.update({'swd.image': img, 'swd.level0': pyramid[0], 'swd.level1': pyramid[1]})
    desc = rng.normal(size=(300, 2, 7, 7)) * 3 + 1
    norm = desc - desc.mean(axis=(0, 2, 3), keepdims=True)
    norm /= norm.std(axis=(0, 2, 3), keepdims=True)
    out.update({'swd.descriptors': desc, 'swd.normalized': norm})
    A = rng.normal(size=(300, 98)).astype(np.float32)
    B = (rng.normal(size=(300, 98)) * 1.3 + 0.2).astype(np.float32)
    dirs = rng.normal(size=(98, 16)).astype(np.float32)
    dirs /= np.sqrt(np.sum(np.square(dirs), axis=0, keepdims=True))
    pa, pb = np.sort(A @ dirs, axis=0), np.sort(B @ dirs, axis=0)
    out.update({'swd.a': A, 'swd.b': B, 'swd.directions': dirs, 'swd.distance': np.array([np.mean(np.abs(pa - pb))])})

    R = rng.normal(size=(80, 4)).astype(np.float32)
    F_ = (rng.normal(size=(60, 4)) * 1.5 + 0.4).astype(np.float32)

    def radii(x):
        d = ((x[:, None, :].astype(np.float64) - x[None, :, :]) ** 2).sum(-1)
        return np.sort(d, axis=1)[:, 3]   # column 0 is the point itself

    def inside(q, ref):
        d = ((q[:, None, :].astype(np.float64) - ref[None, :, :]) ** 2).sum(-1)
        return (d <= radii(ref)[None, :]).any(axis=1).mean()
    out.update({'pr.real': R, 'pr.fake': F_, 'pr.precision': np.array([inside(F_, R)]), 'pr.recall': np.array([inside(R, F_)])})

    cost = rng.integers(0, 50, size=(7, 7)).astype(np.float64)
    rows, cols = scipy.optimize.linear_sum_assignment(cost)
    out.update({'assign.cost': cost, 'assign.total': np.array([cost[rows, cols].sum()])})
    save(os.path.join(OUT, 'metrics.safetensors'), {k: torch.tensor(np.asarray(v)) for k, v in out.items()},
         {'numpy': np.__version__, 'scipy': scipy.__version__})


def features():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from reference_models import Discriminator, init_weights
    torch.manual_seed(3)
    cfg = {'architecture': 'dcgan', 'imageSize': 32, 'channels': 1, 'nz': 8, 'ngf': 4, 'ndf': 4}
    D = Discriminator(cfg).to(F64)
    init_weights(D, None)
    for name, b in D.named_buffers():
        if 'running' in name:
            b.copy_(r32(*b.shape, scale=0.1, shift=1.0 if 'var' in name else 0.0).abs() if 'var' in name else r32(*b.shape, scale=0.1))
    for p_ in D.parameters():
        p_.data.copy_(p_.data.float().to(F64))
    D.eval()
    x = torch.tanh(r32(3, 1, 32, 32))
    out = {'x': x}
    for name, t in D.state_dict().items():
        if t.dtype.is_floating_point:
            out[f'D.{name}'] = t
    feats, h = [], x
    seq = D.main
    for i, m in enumerate(seq):
        h = m(h)
        if isinstance(m, nn.LeakyReLU):
            feats.append(nn.AdaptiveMaxPool2d(4)(h).flatten(1))
    out['features'] = torch.cat(feats, 1)
    save(os.path.join(OUT, 'features.safetensors'), out)


def keras():
    """TensorFlow's 'same' padding against its definition (direct loops over explicitly padded
    inputs, written here from TensorFlow's documentation), and the Keras-style CelebA model
    (Scripts/reference_models.py, explicit padding) forward, backward and one iteration of the
    Keras tutorial's schedule (D updated on the real batch, then on the fake batch, then G on
    fresh noise)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from reference_models import (Generator, Discriminator, SameConv2d, SameConvTranspose2d, conditioning,
                                  init_weights, tf_same)
    torch.manual_seed(4)
    out = {}
    for size, k, st in [(8, 5, 2), (7, 5, 2), (8, 5, 1), (6, 3, 2), (5, 4, 3)]:
        key = f'pad.{size}.{k}.{st}'
        x, w = r32(2, 3, size, size), r32(4, 3, k, k)
        before, after = tf_same(size, k, st)
        xp = np.zeros((2, 3, size + before + after, size + before + after))
        xp[:, :, before:before + size, before:before + size] = x.numpy()
        osz = -(-size // st)
        y = np.zeros((2, 4, osz, osz))
        wn = w.numpy()
        for i in range(osz):
            for j in range(osz):
                patch = xp[:, :, i * st:i * st + k, j * st:j * st + k]
                y[:, :, i, j] = np.einsum('ncab,ocab->no', patch, wn)
        conv = SameConv2d(3, 4, k, st, size, bias=False).to(F64)
        conv.weight.data.copy_(w)
        assert np.abs(conv(x).detach().numpy() - y).max() < 1e-12, key
        out.update({f'{key}.x': x, f'{key}.w': w, f'{key}.y': torch.from_numpy(y)})
        # The transposed convolution from osz to size pixels: each input pixel scatters its
        # weighted kernel into the padded frame, which loses the padding.
        if size % st == 0:
            xt, wt = r32(2, 4, osz, osz), r32(4, 3, k, k)
            full = np.zeros((2, 3, size + before + after + st, size + before + after + st))
            for i in range(osz):
                for j in range(osz):
                    full[:, :, i * st:i * st + k, j * st:j * st + k] += np.einsum('no,ocab->ncab', xt.numpy()[:, :, i, j], wt.numpy())
            yt = full[:, :, before:before + size, before:before + size]
            convt = SameConvTranspose2d(4, 3, k, st, osz, bias=False).to(F64)
            convt.weight.data.copy_(wt)
            assert np.abs(convt(xt).detach().numpy() - yt).max() < 1e-12, key
            out.update({f'{key}.xt': xt, f'{key}.wt': wt, f'{key}.yt': torch.from_numpy(yt.copy())})

    cfg = {'architecture': 'keras-celeba', 'imageSize': 64, 'channels': 3, 'nz': 8, 'ngf': 2, 'ndf': 2}
    n = 4
    width, _ = conditioning(cfg)
    netG, netD = Generator(cfg).to(F64), Discriminator(cfg).to(F64)
    for net in (netG, netD):
        init_weights(net, None)
        for name, p_ in net.named_parameters():
            p_.data.copy_(r32(*p_.shape, scale=0.3 if name.endswith('weight') and p_.dim() > 1 else 0.05,
                              shift=1.0 if p_.dim() == 1 and name.endswith('weight') else 0.0))
    state('G0', netG, out)
    state('D0', netD, out)
    z, real = r32(n, width), torch.tanh(r32(n, 3, 64, 64))
    out.update({'z': z, 'real': real})
    fake = netG(z)
    dfake = r32(*fake.shape)
    fake.backward(dfake)
    out.update({'G.y': fake, 'G.dy': dfake})
    for name, p_ in netG.named_parameters():
        out[f'G.d{name}'] = p_.grad.clone()
    state('G1', netG, out)
    x = real.clone().requires_grad_(True)
    logits = netD(x)['adv']
    dlogits = r32(*logits.shape)
    logits.backward(dlogits)
    out.update({'D.y': logits, 'D.dy': dlogits, 'D.dx': x.grad})
    for name, p_ in netD.named_parameters():
        out[f'D.d{name}'] = p_.grad.clone()
    state('D1', netD, out)

    netG, netD = Generator(cfg).to(F64), Discriminator(cfg).to(F64)
    netG.load_state_dict({k[3:]: v for k, v in out.items() if k.startswith('G0.')}, strict=False)
    netD.load_state_dict({k[3:]: v for k, v in out.items() if k.startswith('D0.')}, strict=False)
    optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    z1 = r32(n, width)
    out['z1'] = z1
    netD.zero_grad()
    o_real = netD(real)['adv']
    err_real = bce(o_real, torch.ones_like(o_real))
    err_real.backward()
    optD.step()
    netD.zero_grad()
    o_fake = netD(netG(z).detach())['adv']
    err_fake = bce(o_fake, torch.zeros_like(o_fake))
    err_fake.backward()
    for name, p_ in netD.named_parameters():
        out[f'step.gradD.{name}'] = p_.grad.clone()
    optD.step()
    netG.zero_grad()
    o_g = netD(netG(z1))['adv']
    err_g = bce(o_g, torch.ones_like(o_g))
    err_g.backward()
    for name, p_ in netG.named_parameters():
        out[f'step.gradG.{name}'] = p_.grad.clone()
    optG.step()
    out.update({'step.metric.loss_d': (err_real + err_fake).reshape(1), 'step.metric.loss_g': err_g.reshape(1),
                'step.metric.d_x': torch.sigmoid(o_real).mean().reshape(1),
                'step.metric.d_g_z1': torch.sigmoid(o_fake).mean().reshape(1),
                'step.metric.d_g_z2': torch.sigmoid(o_g).mean().reshape(1)})
    state('G2', netG, out)
    state('D2', netD, out)
    save(os.path.join(OUT, 'keras.safetensors'), out, {'batch': str(n), 'torch': torch.__version__})


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    layers()
    dcgan()
    geometry()
    decoding()
    objectives()
    metrics()
    features()
    keras()
