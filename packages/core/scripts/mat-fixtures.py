"""Writes the MATLAB v5 fixtures of packages/core/test/mat5.test.ts with
scipy.io.savemat (a real MAT-file writer), compressed and not.

    python3 packages/core/scripts/mat-fixtures.py

SBD's cls/*.mat hold a struct GTcls {Boundaries: cell of sparse,
Segmentation: uint8 class map, CategoriesPresent: uint8 column}; sbd.mat
has that shape with a 5x7 map whose values the test states by hand.
"""
from pathlib import Path

import numpy as np
import scipy.io
import scipy.sparse
from scipy.io.matlab import MatlabObject

out = Path(__file__).resolve().parent.parent / 'test' / 'fixtures' / 'mat'
out.mkdir(parents=True, exist_ok=True)

segmentation = np.array(
    [
        [0, 0, 0, 15, 15, 0, 0],
        [0, 1, 1, 15, 15, 0, 0],
        [0, 1, 1, 0, 0, 0, 255],
        [0, 0, 0, 0, 20, 20, 255],
        [0, 0, 0, 0, 20, 20, 0],
    ],
    dtype=np.uint8,
)
boundaries = np.empty((2, 1), dtype=object)
boundaries[0, 0] = scipy.sparse.csc_matrix(np.array([[0, 1, 0], [1, 0, 0]], dtype=bool))
boundaries[1, 0] = scipy.sparse.csc_matrix(np.array([[0.0, 0.0, 2.5], [0.0, 0.0, 0.0]]))
gtcls = {
    'Boundaries': boundaries,
    'Segmentation': segmentation,
    'CategoriesPresent': np.array([[1], [15], [20]], dtype=np.uint8),
}
numbers = {
    'd': np.array([[1.5, -2.0, 3.25], [4.0, 5.5, -6.0]]),
    'i16': np.array([[-300, 7]], dtype=np.int16),
    's': np.array([0.5, 1.5], dtype=np.float32),
    'u32': np.array([[4000000000]], dtype=np.uint32),
    'flag': np.array([[True, False, True]]),
    'name': 'hello',
    'cube': np.arange(24, dtype=np.int32).reshape(2, 3, 4),
    'empty': np.zeros((0, 3)),
    'z': np.array([[1 + 2j, 3 - 4j]]),
    'cells': np.array([[np.array([[1.0]]), 'ab']], dtype=object),
}
for compressed in (True, False):
    tag = 'compressed' if compressed else 'plain'
    scipy.io.savemat(out / f'sbd-{tag}.mat', {'GTcls': gtcls}, do_compression=compressed)
    scipy.io.savemat(out / f'numbers-{tag}.mat', numbers, do_compression=compressed)
scipy.io.savemat(out / 'object.mat', {'obj': MatlabObject(np.zeros((1, 1), dtype=[('a', object)]), 'someclass')})
print('wrote', sorted(p.name for p in out.iterdir()))
