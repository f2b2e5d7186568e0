#!/usr/bin/env python3
"""PyTorch modules that mirror SwiftGAN's models, module for module, so that a checkpoint's
tensors load into them with `load_state_dict(strict=True)` and the fixture script can compute
golden values with the same networks.

    python3 Scripts/reference_models.py runs/x/checkpoints/step-0000500.safetensors
        # loads netG and netD (strictly), prints their parameter counts and a sample's shape

A model is a backbone (dcgan, mlp, mnist, keras) and a conditioning (noise, class one-hot, categorical
and continuous codes), exactly as Sources/Models describes it:
  G input per sample: [noise | class one-hot | categorical one-hots | continuous codes]
  D: a trunk, then heads: 'adv' (1 logit), 'cls' (k class logits, AC-GAN), 'q' (InfoGAN:
  categorical logits, then continuous means, then log-variances when learned).
With the adversarial head alone, it continues the trunk's Sequential (pytorch/examples naming,
`main.11` for the 64x64 DCGAN); with several heads each is a Sequential of its own.
"""
import json
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


def conditioning(cfg):
    arch = cfg['architecture']
    noise = cfg['nz']
    classes = cfg.get('classes', 0) if arch == 'acgan' else 0
    categorical = cfg.get('categorical', []) if arch == 'infogan' else []
    continuous = cfg.get('continuous', 0) if arch == 'infogan' else 0
    width = noise + classes + sum(categorical) + continuous
    heads = [('adv', 1)]
    if classes:
        heads.append(('cls', classes))
    if categorical or continuous:
        heads.append(('q', sum(categorical) + continuous))
    return width, heads


def backbone_of(cfg):
    return cfg.get('backbone') or {'dcgan': 'dcgan', 'mlp': 'mlp', 'acgan': 'dcgan', 'infogan': 'mnist',
                                   'keras-celeba': 'keras'}[cfg['architecture']]


def tf_same(size, kernel, stride):
    """TensorFlow's 'SAME' padding (before, after) of a convolution over `size` pixels, as its
    documentation defines it: out = ceil(size / stride); the total is max(kernel - stride, 0) when
    stride divides size, else max(kernel - size % stride, 0); the smaller half goes before."""
    total = max(kernel - stride, 0) if size % stride == 0 else max(kernel - size % stride, 0)
    return total // 2, total - total // 2


class SameConv2d(nn.Conv2d):
    """Keras's Conv2D(padding='same'): explicit zero padding, then an unpadded convolution."""
    def __init__(self, cin, cout, kernel, stride, size, bias):
        super().__init__(cin, cout, kernel, stride, 0, bias=bias)
        self.pads = tf_same(size, kernel, stride)

    def forward(self, x):
        b, a = self.pads
        return super().forward(F.pad(x, (b, a, b, a)))


class SameConvTranspose2d(nn.ConvTranspose2d):
    """Keras's Conv2DTranspose(padding='same') from `size` to `size * stride` pixels: the
    adjoint of the 'same' convolution the other way, i.e. an unpadded transposed convolution
    whose output loses that convolution's padding (before at top/left, after at bottom/right)."""
    def __init__(self, cin, cout, kernel, stride, size, bias):
        super().__init__(cin, cout, kernel, stride, 0, bias=bias)
        self.pads = tf_same(size * stride, kernel, stride)

    def forward(self, x):
        b, a = self.pads
        y = super().forward(x)
        return y[:, :, b:y.shape[2] - a, b:y.shape[3] - a]


class GlobalAvgPool(nn.Module):
    def forward(self, x):
        return x.mean((2, 3))


def keras_bn(c, two_d=True):
    return (nn.BatchNorm2d if two_d else nn.BatchNorm1d)(c, eps=1e-3, momentum=0.01)


def dcgan_doublings(size):
    k, s = 0, 4
    while s < size:
        s, k = s * 2, k + 1
    assert s == size and k >= 1, size
    return k


def generator_layers(cfg, width):
    b, nc, size, ngf = backbone_of(cfg), cfg['channels'], cfg['imageSize'], cfg['ngf']
    if b == 'dcgan':
        k = dcgan_doublings(size)
        ch = ngf << (k - 1)
        layers = [nn.ConvTranspose2d(width, ch, 4, 1, 0, bias=False), nn.BatchNorm2d(ch), nn.ReLU(True)]
        for _ in range(k - 1):
            layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch // 2), nn.ReLU(True)]
            ch //= 2
        return layers + [nn.ConvTranspose2d(ch, nc, 4, 2, 1, bias=False), nn.Tanh()]
    if b == 'mnist':
        return [nn.Linear(width, 16 * ngf, bias=False), nn.BatchNorm1d(16 * ngf), nn.ReLU(True),
                nn.Linear(16 * ngf, 2 * ngf * 49, bias=False), nn.BatchNorm1d(2 * ngf * 49), nn.ReLU(True),
                nn.Unflatten(1, (2 * ngf, 7, 7)),
                nn.ConvTranspose2d(2 * ngf, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
                nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=True), nn.Tanh()]
    if b == 'keras':
        c = ngf
        layers = [nn.Linear(width, 16 * 8 * c, bias=False), keras_bn(16 * 8 * c, False), nn.Unflatten(1, (8 * c, 4, 4))]
        ch, s = 8 * c, 4
        for f in (4 * c, 2 * c, c, c):
            layers += [SameConvTranspose2d(ch, f, 5, 2, s, bias=False), keras_bn(f), nn.LeakyReLU(0.3)]
            ch, s = f, s * 2
        return layers + [SameConv2d(ch, nc, 5, 1, s, bias=True), nn.Tanh()]
    if b == 'mlp':
        return [nn.Linear(width, 256), nn.LeakyReLU(0.2), nn.Linear(256, 512), nn.LeakyReLU(0.2),
                nn.Linear(512, 1024), nn.LeakyReLU(0.2), nn.Linear(1024, nc * size * size), nn.Tanh()]
    raise ValueError(b)


def trunk_layers(cfg):
    """D's trunk and its output features; the MLP's input is flattened in forward (a view)."""
    b, nc, size, ndf = backbone_of(cfg), cfg['channels'], cfg['imageSize'], cfg['ndf']
    if b == 'dcgan':
        k = dcgan_doublings(size)
        layers = [nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True)]
        ch = ndf
        for _ in range(k - 1):
            layers += [nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch * 2), nn.LeakyReLU(0.2, inplace=True)]
            ch *= 2
        return layers, ch
    if b == 'mnist':
        return [nn.Conv2d(nc, ndf, 4, 2, 1), nn.LeakyReLU(0.1), nn.Conv2d(ndf, 2 * ndf, 4, 2, 1, bias=False),
                nn.BatchNorm2d(2 * ndf), nn.LeakyReLU(0.1), nn.Flatten(), nn.Linear(2 * ndf * 49, 16 * ndf, bias=False),
                nn.BatchNorm1d(16 * ndf), nn.LeakyReLU(0.1)], 16 * ndf
    if b == 'keras':
        layers, ch, s = [], nc, size
        for f in (ndf, 2 * ndf, 4 * ndf, 8 * ndf):
            layers += [SameConv2d(ch, f, 5, 1, s, bias=False), keras_bn(f), SameConv2d(f, f, 5, 2, s, bias=False),
                       keras_bn(f), nn.LeakyReLU(0.3)]
            ch, s = f, (s + 1) // 2
        return layers + [GlobalAvgPool()], 8 * ndf
    if b == 'mlp':
        layers, width = [], nc * size * size
        for w in (1024, 512, 256):
            layers += [nn.Linear(width, w), nn.LeakyReLU(0.2), nn.Dropout(0.3)]
            width = w
        return layers, 256
    raise ValueError(b)


def head_layers(cfg, name, outputs, features):
    """A head on the trunk's features: the backbone's projection (DCGAN: Conv 4/1/0; others:
    Linear), or for Q hidden layers, Flatten and Linear."""
    b, ndf = backbone_of(cfg), cfg['ndf']
    if name == 'q':
        if b == 'dcgan':
            hidden = [nn.Conv2d(features, 2 * ndf, 4, 1, 0, bias=False), nn.BatchNorm2d(2 * ndf), nn.LeakyReLU(0.2)]
            width = 2 * ndf
        elif b == 'mnist':
            hidden, width = [nn.Linear(features, 2 * ndf, bias=False), nn.BatchNorm1d(2 * ndf), nn.LeakyReLU(0.1)], 2 * ndf
        elif b == 'keras':
            hidden, width = [nn.Linear(features, 8 * ndf, bias=False), keras_bn(8 * ndf, False), nn.LeakyReLU(0.3)], 8 * ndf
        else:
            hidden, width = [nn.Linear(features, 128, bias=False), nn.BatchNorm1d(128), nn.LeakyReLU(0.2)], 128
        return hidden + [nn.Flatten(), nn.Linear(width, outputs)]
    if b == 'dcgan':
        return [nn.Conv2d(features, outputs, 4, 1, 0, bias=False)]
    return [nn.Linear(features, outputs)]


class Generator(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        width, _ = conditioning(cfg)
        self.width = width
        self.backbone = backbone_of(cfg)
        self.name = 'model' if self.backbone == 'mlp' else 'main'
        setattr(self, self.name, nn.Sequential(*generator_layers(cfg, width)))
        self.shape = (cfg['channels'], cfg['imageSize'], cfg['imageSize'])

    def forward(self, z):
        n = z.shape[0]
        z = z.reshape(n, self.width, 1, 1) if self.backbone == 'dcgan' else z.reshape(n, self.width)
        return getattr(self, self.name)(z).reshape(n, *self.shape)


class Discriminator(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        _, heads = conditioning(cfg)
        self.backbone = backbone_of(cfg)
        trunk, features = trunk_layers(cfg)
        self.name = 'model' if self.backbone == 'mlp' else ('trunk' if self.backbone == 'mnist' else 'main')
        self.head_names = [h for h, _ in heads]
        self.single = len(heads) == 1
        if self.single:
            setattr(self, self.name, nn.Sequential(*trunk, *head_layers(cfg, 'adv', 1, features)))
        else:
            setattr(self, self.name, nn.Sequential(*trunk))
            for h, out in heads:
                setattr(self, h, nn.Sequential(*head_layers(cfg, h, out, features)))

    def forward(self, x, heads=None):
        """A dict from head name to its outputs (n, width); `heads` selects which run."""
        n = x.shape[0]
        if self.backbone == 'mlp':
            x = x.reshape(n, -1)
        if self.single:
            return {'adv': getattr(self, self.name)(x).reshape(n, -1)}
        f = getattr(self, self.name)(x)
        return {h: getattr(self, h)(f).reshape(n, -1) for h in self.head_names if heads is None or h in heads}


def init_weights(m, generator):
    """SwiftGAN's initialisation in distribution (values differ: SwiftGAN draws from Philox)."""
    for mod in m.modules():
        if isinstance(mod, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(mod.weight, 0, 0.02)
        elif isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.normal_(mod.weight, 1, 0.02)
            nn.init.zeros_(mod.bias)


def load_checkpoint(path):
    from safetensors.torch import load_file
    state = load_file(path)
    with open(path, 'rb') as f:
        import struct
        n = struct.unpack('<Q', f.read(8))[0]
        meta = json.loads(f.read(n))['__metadata__']
    cfg = json.loads(meta['config'])['model']
    G, D = Generator(cfg), Discriminator(cfg)
    G.load_state_dict({k[5:]: v for k, v in state.items() if k.startswith('netG.')}, strict=True)
    D.load_state_dict({k[5:]: v for k, v in state.items() if k.startswith('netD.')}, strict=True)
    return cfg, G.eval(), D.eval()


if __name__ == '__main__':
    cfg, G, D = load_checkpoint(sys.argv[1])
    width, heads = conditioning(cfg)
    print(f"{cfg['architecture']} ({backbone_of(cfg)}): G {sum(p.numel() for p in G.parameters())} parameters, "
          f"D {sum(p.numel() for p in D.parameters())}, heads {[h for h, _ in heads]}; both loaded with strict=True")
    with torch.no_grad():
        x = G(torch.randn(4, width))
        print('G(z):', tuple(x.shape), 'D heads:', {k: tuple(v.shape) for k, v in D(x).items()})
