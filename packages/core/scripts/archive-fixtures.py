"""Writes the tar fixtures of packages/core/test/tar.test.ts with Python's
tarfile (a real tar writer), in the layouts of the archives seg extracts:
SBD's benchmark.tgz (gzip, benchmark_RELEASE/dataset/...), VOC's tar (a
GNU long name and a PAX header as GNU tar and Python write them), and one
whose member climbs out of the target folder.

    python3 packages/core/scripts/archive-fixtures.py
"""
import io
import tarfile
from pathlib import Path

out = Path(__file__).resolve().parent.parent / 'test' / 'fixtures' / 'archives'
out.mkdir(parents=True, exist_ok=True)

LONG = 'VOCdevkit/VOC2012/' + 'a' * 120 + '.txt'
FILES = {
    'benchmark_RELEASE/dataset/train.txt': b'2008_000002\n2008_000003\n',
    'benchmark_RELEASE/dataset/cls/2008_000002.mat': bytes(range(256)) * 3,
    LONG: b'long name\n',
    'VOCdevkit/VOC2012/ImageSets/Segmentation/val.txt': b'2007_000033\n',
}


def add(tar, name, data, **kw):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 1_700_000_000
    for k, v in kw.items():
        setattr(info, k, v)
    tar.addfile(info, io.BytesIO(data))


def write(path, mode, fmt, names):
    with tarfile.open(path, mode, format=fmt) as tar:
        dirs = sorted({str(Path(n).parent) for n in names})
        for d in dirs:
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mtime = 1_700_000_000
            tar.addfile(info)
        for n in names:
            add(tar, n, FILES[n])


write(out / 'sbd.tgz', 'w:gz', tarfile.GNU_FORMAT, [n for n in FILES if n.startswith('benchmark')])
write(out / 'voc-gnu.tar', 'w', tarfile.GNU_FORMAT, [n for n in FILES if n.startswith('VOC')])
write(out / 'voc-pax.tar', 'w', tarfile.PAX_FORMAT, [n for n in FILES if n.startswith('VOC')])
with tarfile.open(out / 'escape.tar', 'w', format=tarfile.GNU_FORMAT) as tar:
    add(tar, 'ok.txt', b'fine\n')
    add(tar, '../outside.txt', b'no\n')
print('wrote', sorted(p.name for p in out.iterdir()))
