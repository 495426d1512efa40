"""Writes the zip fixtures of packages/core/test/zip.test.ts with Python's
zipfile (a real zip writer), in ADE20K's layout (ADEChallengeData2016/...):
deflated and stored members, one written with ZIP64 extra fields (as
Cityscapes' 11 GB zips need), and one member that climbs out of the target
folder.

    python3 packages/core/scripts/zip-fixtures.py
"""
import zipfile
from pathlib import Path

out = Path(__file__).resolve().parent.parent / 'test' / 'fixtures' / 'archives'
out.mkdir(parents=True, exist_ok=True)

with zipfile.ZipFile(out / 'ade.zip', 'w') as z:
    z.writestr('ADEChallengeData2016/', b'')
    z.writestr('ADEChallengeData2016/sceneCategories.txt', b'ADE_train_00000001 airport_terminal\n' * 20, compress_type=zipfile.ZIP_DEFLATED)
    z.writestr('ADEChallengeData2016/annotations/training/ADE_train_00000001.png', bytes(range(256)) * 4, compress_type=zipfile.ZIP_STORED)
    with z.open('ADEChallengeData2016/images/training/ADE_train_00000001.jpg', 'w', force_zip64=True) as f:
        f.write(bytes((i * 7) % 251 for i in range(3000)))
# The same members as an archive past 4 GB stores them: zipfile's own ZIP64 code
# (sizes and offsets in ZIP64 extras, the ZIP64 end record), its limits lowered.
zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = 100, 2
with zipfile.ZipFile(out / 'ade64.zip', 'w') as z:
    z.writestr('ADEChallengeData2016/sceneCategories.txt', b'ADE_train_00000001 airport_terminal\n' * 20, compress_type=zipfile.ZIP_DEFLATED)
    z.writestr('ADEChallengeData2016/annotations/training/ADE_train_00000001.png', bytes(range(256)) * 4, compress_type=zipfile.ZIP_STORED)
    z.writestr('ADEChallengeData2016/images/training/ADE_train_00000001.jpg', bytes((i * 7) % 251 for i in range(3000)), compress_type=zipfile.ZIP_DEFLATED)
zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = (1 << 31) - 1, (1 << 16) - 1
with zipfile.ZipFile(out / 'escape.zip', 'w') as z:
    z.writestr('ok.txt', b'fine\n')
    z.writestr('../outside.txt', b'no\n')
print('wrote', sorted(p.name for p in out.iterdir()))
