"""Writes the archive fixtures of packages/core/test/data-archives.test.ts in
the layouts of the real archives, with Python's tarfile and zipfile (real
archive writers) and scipy.io.savemat (a real MAT-file writer):

  VOCtrainval_11-May-2012.tar   VOCdevkit/VOC2012/{JPEGImages, SegmentationClass
                                (palette PNGs, 255 on borders), ImageSets/{Segmentation,
                                Main}, Annotations, SegmentationObject}
  benchmark.tgz                 benchmark_RELEASE/dataset/{cls, inst, img, train.txt,
                                val.txt} (SBD; cls/*.mat hold GTcls.Segmentation, uint8)
  ADEChallengeData2016.zip      ADEChallengeData2016/{images, annotations}/{training,
                                validation}, objectInfo150.txt, sceneCategories.txt
  gtFine_trainvaltest.zip       gtFine/{train,val,test}/<city>/*_gtFine_{labelIds,color,
                                instanceIds}.png and *_polygons.json, README, license.txt
  leftImg8bit_trainvaltest.zip  leftImg8bit/{train,val,test}/<city>/*_leftImg8bit.png

and two broken ones: VOCtrainval-cut.tar (the tar cut inside a member) and
ADEChallengeData2016-badcrc.zip (one stored member's byte flipped, so its
CRC-32 no longer matches). The ids are chosen so that SBD's lists overlap
VOC's the ways that matter (see SPLITS); the test states the expected
train_aug and the converted class maps by hand.

    python3 packages/core/scripts/dataset-fixtures.py
"""
import base64
import io
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path

import numpy as np
import scipy.io

out = Path(__file__).resolve().parent.parent / 'test' / 'fixtures' / 'datasets'
out.mkdir(parents=True, exist_ok=True)
MTIME = 1_700_000_000

# A 6x4 RGB baseline JPEG (written once by sharp/libjpeg; Python has no JPEG writer here).
JPEG = base64.b64decode('/9j/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBT/wAARCAAEAAYDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAX/xAAdEAADAQABBQAAAAAAAAAAAAABAgMEAAYREhM0/8QAFQEBAQAAAAAAAAAAAAAAAAAABAb/xAAeEQABAwQDAAAAAAAAAAAAAAABAgMEAAURITFhkf/aAAwDAQACEQMRAD8AiR6t16dsRoRaxTPFZolbQeflixXPasnWp+n1kM5DJDOGDGSsHHHI6/TZUSaWY7qkJAGkqIHgOKHcmmw8CEjYzx2a/9k=')


def png(width, height, pixels, color_type, palette=None):
    """An 8-bit PNG: colour type 0 (grey), 2 (RGB) or 3 (palette); pixels as rows of bytes."""
    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b''.join(b'\x00' + bytes(row) for row in pixels)
    body = chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, color_type, 0, 0, 0))
    if palette is not None:
        body += chunk(b'PLTE', bytes(c for rgb in palette for c in rgb))
    return b'\x89PNG\r\n\x1a\n' + body + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b'')


def voc_colormap(n=256):
    out = []
    for i in range(n):
        c = [0, 0, 0]
        idx, shift = i, 7
        while idx:
            for ch in range(3):
                c[ch] |= ((idx >> ch) & 1) << shift
            idx >>= 3
            shift -= 1
        out.append(tuple(c))
    return out


def mat(segmentation, compressed):
    gtcls = {
        'Segmentation': np.array(segmentation, dtype=np.uint8),
        'CategoriesPresent': np.array([[v] for v in sorted({v for row in segmentation for v in row} - {0})], dtype=np.uint8),
    }
    buf = io.BytesIO()
    scipy.io.savemat(buf, {'GTcls': gtcls}, do_compression=compressed)
    return buf.getvalue()


def add(tar, name, data=None):
    info = tarfile.TarInfo(name)
    info.mtime = MTIME
    if data is None:
        info.type = tarfile.DIRTYPE
        tar.addfile(info)
    else:
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


def write_tar(path, mode, files):
    with tarfile.open(path, mode, format=tarfile.GNU_FORMAT) as tar:
        for d in sorted({str(Path(n).parent) for n in files} | {str(p) for n in files for p in Path(n).parents if str(p) != '.'}):
            add(tar, d + '/')
        for n, data in files.items():
            add(tar, n, data)


# --- PASCAL VOC 2012 and SBD --------------------------------------------------
# A: VOC train only; B: VOC train and SBD train; C: VOC val and SBD train; D: VOC val and SBD val;
# E: SBD train only; F: SBD val only; G: an image no segmentation list names.
A, B, C, D, E, F, G = '2007_000032', '2007_000039', '2007_000033', '2007_000042', '2008_000002', '2008_000003', '2008_000008'
SPLITS = {'voc_train': [A, B], 'voc_val': [C, D], 'sbd_train': [B, E, C], 'sbd_val': [F, D]}

# VOC's own labels (palette indices, 255 = the void border), 6 wide and 4 high.
VOC_LABELS = {
    A: [[0, 0, 255, 1, 1, 1], [0, 255, 1, 1, 1, 1], [0, 0, 255, 255, 1, 1], [0, 0, 0, 0, 0, 0]],
    B: [[15, 15, 15, 255, 0, 0], [15, 15, 15, 255, 0, 0], [255, 255, 255, 255, 0, 0], [0, 0, 0, 0, 0, 0]],
    C: [[0, 0, 0, 0, 0, 0], [0, 7, 7, 7, 255, 0], [0, 7, 7, 7, 255, 0], [0, 0, 0, 0, 0, 0]],
    D: [[12, 12, 0, 0, 0, 0], [12, 12, 0, 0, 0, 0], [255, 255, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]],
}
# SBD's class maps (no void border), 4 rows by 6 columns.
SBD_LABELS = {
    B: [[15, 15, 15, 15, 0, 0], [15, 15, 15, 15, 0, 0], [15, 15, 15, 15, 0, 0], [0, 0, 0, 0, 0, 0]],
    C: [[0, 0, 0, 0, 0, 0], [0, 7, 7, 7, 7, 0], [0, 7, 7, 7, 7, 0], [0, 0, 0, 0, 0, 0]],
    D: [[12, 12, 12, 0, 0, 0], [12, 12, 12, 0, 0, 0], [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]],
    E: [[0, 0, 15, 15, 0, 0], [0, 1, 1, 15, 0, 0], [0, 1, 1, 0, 0, 20], [0, 0, 0, 0, 20, 20]],
    F: [[3, 3, 3, 0, 0, 0], [3, 3, 3, 0, 0, 0], [0, 0, 0, 0, 9, 9], [0, 0, 0, 0, 9, 9]],
}
palette = voc_colormap()
VOC = 'VOCdevkit/VOC2012/'
voc_files = {}
for i in (A, B, C, D, E, F, G):
    voc_files[f'{VOC}JPEGImages/{i}.jpg'] = JPEG
for i, lab in VOC_LABELS.items():
    voc_files[f'{VOC}SegmentationClass/{i}.png'] = png(6, 4, lab, 3, palette)
    voc_files[f'{VOC}SegmentationObject/{i}.png'] = png(6, 4, lab, 3, palette)
    voc_files[f'{VOC}Annotations/{i}.xml'] = f'<annotation><filename>{i}.jpg</filename></annotation>\n'.encode()
lists = {'train': SPLITS['voc_train'], 'val': SPLITS['voc_val'], 'trainval': sorted(SPLITS['voc_train'] + SPLITS['voc_val'])}
for split, ids in lists.items():
    voc_files[f'{VOC}ImageSets/Segmentation/{split}.txt'] = ''.join(f'{i}\n' for i in ids).encode()
voc_files[f'{VOC}ImageSets/Main/train.txt'] = ''.join(f'{i}\n' for i in (A, B, G)).encode()
write_tar(out / 'VOCtrainval_11-May-2012.tar', 'w', voc_files)
whole = (out / 'VOCtrainval_11-May-2012.tar').read_bytes()
# Cut inside the first JPEG's data: the tar ends midway through a member.
first = whole.index(JPEG)
(out / 'VOCtrainval-cut.tar').write_bytes(whole[: first + len(JPEG) // 2])

SBD = 'benchmark_RELEASE/dataset/'
sbd_files = {'benchmark_RELEASE/README': b'Semantic Boundaries Dataset\n'}
for k, (i, seg) in enumerate(sorted(SBD_LABELS.items())):
    sbd_files[f'{SBD}cls/{i}.mat'] = mat(seg, compressed=k % 2 == 0)
    sbd_files[f'{SBD}inst/{i}.mat'] = mat(seg, compressed=True)
    sbd_files[f'{SBD}img/{i}.jpg'] = JPEG
sbd_files[f'{SBD}train.txt'] = ''.join(f'{i}\n' for i in SPLITS['sbd_train']).encode()
sbd_files[f'{SBD}val.txt'] = ''.join(f'{i}\n' for i in SPLITS['sbd_val']).encode()
write_tar(out / 'benchmark.tgz', 'w:gz', sbd_files)

# --- ADE20K ----------------------------------------------------------------------
ADE = 'ADEChallengeData2016/'
ADE_LABELS = {
    'training/ADE_train_00000001': [[0, 1, 1, 2, 2, 150], [0, 1, 1, 2, 2, 150], [0, 0, 3, 3, 0, 0], [5, 5, 5, 5, 5, 5]],
    'training/ADE_train_00000002': [[150, 150, 150, 0, 0, 0], [149, 149, 149, 0, 0, 0], [1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0]],
    'validation/ADE_val_00000001': [[12, 12, 12, 12, 12, 12], [0, 0, 0, 0, 0, 0], [13, 13, 13, 13, 13, 13], [0, 0, 0, 0, 0, 0]],
}


def write_ade(path, corrupt=False):
    with zipfile.ZipFile(path, 'w') as z:
        z.writestr(ADE, b'')
        z.writestr(ADE + 'objectInfo150.txt', b'Idx\tRatio\tTrain\tVal\tName\n1\t0.1576\t11664\t1172\twall\n', compress_type=zipfile.ZIP_DEFLATED)
        z.writestr(ADE + 'sceneCategories.txt', b'ADE_train_00000001 airport_terminal\n', compress_type=zipfile.ZIP_DEFLATED)
        for stem, lab in ADE_LABELS.items():
            z.writestr(f'{ADE}images/{stem}.jpg', JPEG, compress_type=zipfile.ZIP_STORED)
            z.writestr(f'{ADE}annotations/{stem}.png', png(6, 4, lab, 0), compress_type=zipfile.ZIP_STORED)
    if corrupt:
        data = bytearray(path.read_bytes())
        at = data.index(png(6, 4, ADE_LABELS['validation/ADE_val_00000001'], 0))
        data[at + 40] ^= 0xFF
        path.write_bytes(bytes(data))


write_ade(out / 'ADEChallengeData2016.zip')
write_ade(out / 'ADEChallengeData2016-badcrc.zip', corrupt=True)

# --- Cityscapes ------------------------------------------------------------------
CITIES = {'train': 'aachen_000000_000019', 'val': 'frankfurt_000000_000294', 'test': 'berlin_000000_000019'}
CITY_LABELS = {
    'train': [[7, 7, 7, 7, 8, 8, 8, 8], [26, 26, 0, 0, 24, 24, 33, 33], [1, 1, 2, 3, 4, 11, 11, 11], [21, 21, 21, 23, 23, 23, 255, 255]],
    'val': [[7] * 8, [13] * 8, [17, 19, 20, 22, 25, 27, 28, 31], [32, 33, 0, 6, 9, 10, 14, 30]],
    'test': [[0] * 8, [0] * 8, [0] * 8, [0] * 8],
}
rgb = [[(x * 30 + y * 7) % 256 for x in range(8) for _ in range(3)] for y in range(4)]
with zipfile.ZipFile(out / 'gtFine_trainvaltest.zip', 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('README', b'The Cityscapes Dataset\n')
    z.writestr('license.txt', b'Cityscapes licence\n')
    for split, stem in CITIES.items():
        city = stem.split('_')[0]
        base = f'gtFine/{split}/{city}/{stem}_gtFine_'
        z.writestr(base + 'labelIds.png', png(8, 4, CITY_LABELS[split], 0))
        z.writestr(base + 'instanceIds.png', png(8, 4, CITY_LABELS[split], 0))
        z.writestr(base + 'color.png', png(8, 4, rgb, 2))
        z.writestr(base + 'polygons.json', b'{"imgHeight": 4, "imgWidth": 8, "objects": []}\n')
with zipfile.ZipFile(out / 'leftImg8bit_trainvaltest.zip', 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('README', b'The Cityscapes Dataset\n')
    z.writestr('license.txt', b'Cityscapes licence\n')
    for split, stem in CITIES.items():
        city = stem.split('_')[0]
        z.writestr(f'leftImg8bit/{split}/{city}/{stem}_leftImg8bit.png', png(8, 4, rgb, 2))

print('wrote', sorted((p.name, p.stat().st_size) for p in out.iterdir()))
