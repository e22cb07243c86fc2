"""CI check: a plain wheel of latentlab carries every file of resources/ and checkpoints/.

Usage: python .ci/check_wheel.py WHEEL
"""

import sys
import zipfile
from pathlib import Path

root = Path(__file__).resolve().parent.parent
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
missing = []
for folder, package in (("resources", "latentlab/_resources"), ("checkpoints", "latentlab/_checkpoints")):
    for f in (root / folder).rglob("*"):
        if f.is_file():
            rel = f.relative_to(root / folder).as_posix()
            if f"{package}/{rel}" not in names:
                missing.append(f"{folder}/{rel}")
if missing:
    print("the wheel lacks:", *missing, sep="\n  ")
    sys.exit(1)
print(f"wheel ok: {len(names)} files, resources/ and checkpoints/ complete")
