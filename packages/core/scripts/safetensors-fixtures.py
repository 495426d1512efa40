"""Writes the safetensors fixtures of packages/core/test/safetensors.test.ts
with the safetensors package itself (`pip install safetensors numpy`):

    python3 packages/core/scripts/safetensors-fixtures.py

Values are small arange patterns the test states by hand; names follow
torchvision's ResNet and timm's VGG (`pre_logits.fc1`).
"""
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

out = Path(__file__).resolve().parent.parent / 'test' / 'fixtures' / 'safetensors'
out.mkdir(parents=True, exist_ok=True)

tensors = {
    'conv1.weight': (np.arange(2 * 3 * 2 * 2, dtype=np.float32) - 12).reshape(2, 3, 2, 2) / 4,
    'bn1.running_var': np.array([1.0, 0.25], dtype=np.float32),
    'bn1.num_batches_tracked': np.array(7, dtype=np.int64),
    'pre_logits.fc1.bias': np.array([0.5, -1.5, 65504.0], dtype=np.float16),
}
save_file(tensors, out / 'small.safetensors', metadata={'format': 'pt'})
print('wrote', sorted(p.name for p in out.iterdir()))
