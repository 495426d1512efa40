"""Reference logits of torchvision's VGG16, ResNet-50 and ResNet-101 for
seeded weights, written by PyTorch itself: test/fixtures/imagenet/logits.json;
and torchvision's ImageNet class names: data/imagenet-classes.json.

Every tensor (and each input) is filled by a counter-based generator that the
test repeats in TypeScript (src/weights/seeded-weights.ts): value i of
tensor NAME is murmur3's fmix32 of (fnv1a32(NAME) + i * 0x9E3779B9) mod 2^32,
taken as u = (h + 0.5) / 2^32 and scaled per kind of tensor. So only the
logits are committed; the test writes the same weights to a safetensors file
in timm's names (as the Hub's files are), loads them into our backbones and
compares.

    python3 -m venv /tmp/tv
    /tmp/tv/bin/pip install torch==2.13.0+cpu torchvision==0.28.0 numpy
    /tmp/tv/bin/python packages/core/scripts/imagenet-fixtures.py
"""
import json
import math
import os

import sys
import types

import numpy as np
import torch

# torchvision's compiled ops (nms, roi_align) are for its CUDA build; the models need none of them.
sys.modules['torchvision._meta_registrations'] = types.ModuleType('torchvision._meta_registrations')
import torchvision  # noqa: E402

M = 0xFFFFFFFF
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'test', 'fixtures', 'imagenet', 'logits.json')
# The 1,000 class names `seg weights classify` prints: torchvision's own list (torchvision/models/_meta.py).
CLASSES = os.path.join(HERE, '..', 'data', 'imagenet-classes.json')


def fnv1a32(name):
    h = 0x811C9DC5
    for b in name.encode('utf-8'):
        h ^= b
        h = (h * 0x01000193) & M
    return h


def uniform(name, count):
    """u in (0, 1) for elements 0..count-1 of NAME, as float64."""
    seed = np.uint64(fnv1a32(name))
    out = np.empty(count, dtype=np.float64)
    step = 1 << 22
    for start in range(0, count, step):
        i = np.arange(start, min(count, start + step), dtype=np.uint64)
        h = (seed + i * np.uint64(0x9E3779B9)) & np.uint64(M)
        h ^= h >> np.uint64(16)
        h = (h * np.uint64(0x85EBCA6B)) & np.uint64(M)
        h ^= h >> np.uint64(13)
        h = (h * np.uint64(0xC2B2AE35)) & np.uint64(M)
        h ^= h >> np.uint64(16)
        out[start:start + len(i)] = (h.astype(np.float64) + 0.5) / 2.0**32
    return out


def in_range(name, shape, lo, hi):
    u = uniform(name, int(np.prod(shape)))
    return (lo + (hi - lo) * u).astype(np.float32).reshape(shape)


def value(name, shape):
    """The seeded tensor NAME: He-uniform weights; batch norm near identity; small biases."""
    if name.endswith('running_var'):
        return in_range(name, shape, 0.5, 1.5)
    if name.endswith('running_mean') or name.endswith('.bias'):
        return in_range(name, shape, -0.1, 0.1)
    if len(shape) == 1:  # batch norm's weight (gamma)
        return in_range(name, shape, 0.5, 1.0)
    fan_in = int(np.prod(shape[1:]))
    bound = math.sqrt(6.0 / fan_in)
    return in_range(name, shape, -bound, bound)


def timm_name(tv_name):
    """timm's names for torchvision's VGG classifier (fc6, fc7 as convolutions)."""
    return {'classifier.0': 'pre_logits.fc1', 'classifier.3': 'pre_logits.fc2', 'classifier.6': 'head.fc'}.get(tv_name.rsplit('.', 1)[0], None)


def timm_shape(name, shape):
    if name.startswith('pre_logits.fc1.weight'):
        return [shape[0], 512, 7, 7]
    if name.startswith('pre_logits.fc2.weight'):
        return [shape[0], shape[1], 1, 1]
    return list(shape)


def seeded(model):
    state = {}
    for tv, t in model.state_dict().items():
        if tv.endswith('num_batches_tracked'):
            state[tv] = t
            continue
        base = timm_name(tv)
        name = f"{base}.{tv.rsplit('.', 1)[1]}" if base else tv
        state[tv] = torch.from_numpy(value(name, timm_shape(name, list(t.shape)))).reshape(t.shape)
    model.load_state_dict(state)
    return model.eval()


INPUTS = [[224, 224], [97, 131]]
IMAGE = os.path.join(HERE, '..', 'test', 'fixtures', 'imagenet', 'image.png')


def write_image():
    """A 320x240 RGB picture (smooth shading, edges, a disc) for the transform's check."""
    from PIL import Image
    y, x = np.mgrid[0:240, 0:320].astype(np.float64)
    r = 127 + 120 * np.sin(x / 23.0) * np.cos(y / 31.0)
    g = np.where((x // 40 + y // 40) % 2 == 0, 200.0, 40.0)
    b = np.where((x - 200) ** 2 + (y - 100) ** 2 < 60 ** 2, 230.0, 20 + y * 0.5)
    Image.fromarray(np.stack([r, g, b], -1).round().clip(0, 255).astype(np.uint8), 'RGB').save(IMAGE, optimize=True)


def main():
    torch.set_num_threads(2)
    out = {'generator': 'scripts/imagenet-fixtures.py', 'torch': torch.__version__, 'torchvision': torchvision.__version__, 'inputs': INPUTS, 'models': {}}
    for arch in ['vgg16', 'resnet50', 'resnet101']:
        model = seeded(getattr(torchvision.models, arch)(weights=None))
        rows = []
        for h, w in INPUTS:
            x = torch.from_numpy(in_range(f'input.{h}x{w}', [1, h, w, 3], -2.0, 2.0)).permute(0, 3, 1, 2).contiguous()
            with torch.no_grad():
                logits = model(x)[0].numpy().astype(np.float64)
            top5 = np.argsort(-logits, kind='stable')[:5].tolist()
            rows.append({'size': [h, w], 'logits': [float(f'{v:.7g}') for v in logits], 'top5': top5})
            print(arch, h, w, 'max |logit|', float(np.abs(logits).max()), 'top5', top5)
        out['models'][arch] = rows
        if arch == 'resnet50':
            # The image through torchvision's own transform for these weights (PIL's antialiased resize, crop, normalise).
            from PIL import Image
            write_image()
            transform = torchvision.models.ResNet50_Weights.IMAGENET1K_V1.transforms()
            with torch.no_grad():
                logits = model(transform(Image.open(IMAGE).convert('RGB')).unsqueeze(0))[0].numpy().astype(np.float64)
            top5 = np.argsort(-logits, kind='stable')[:5].tolist()
            out['image'] = {'file': 'image.png', 'arch': arch, 'transform': str(transform).replace('\n', ' '), 'logits': [float(f'{v:.7g}') for v in logits], 'top5': top5}
            print('image', top5)
    from torchvision.models._meta import _IMAGENET_CATEGORIES
    with open(CLASSES, 'w') as f:
        json.dump(list(_IMAGENET_CATEGORIES), f, indent=0)
        f.write('\n')
    with open(OUT, 'w') as f:
        json.dump(out, f, separators=(',', ':'))
        f.write('\n')


if __name__ == '__main__':
    main()
