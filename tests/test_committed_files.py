"""Nothing committed carries an absolute path of the machine it was made on (a store a model was
trained on, a benchmark's scratch folder, a home directory)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: /work/..., /tmp/..., /home/..., /root/... not preceded by a name, a dot or a variable (a URL's or a
#: relative path's "/tmp/" is fine, and so is "${TMPDIR:-/tmp}").
MACHINE_PATH = re.compile(r"(?<![\w.$~-])/(?:work|tmp|home|root)/[\w.-]")
#: .gitignore's patterns are relative to the repository by definition; this file names examples.
SKIPPED = {".gitignore", "tests/test_committed_files.py"}


def _committed_text_files() -> list[Path]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    files = []
    for name in out.decode().split("\0"):
        path = ROOT / name
        if name and name not in SKIPPED and path.is_file():
            data = path.read_bytes()[:1_000_000]
            if b"\0" not in data:  # binary files (weights, images) hold no paths to read
                files.append(path)
    return files


def test_no_committed_file_holds_an_absolute_path_of_this_machine():
    found = []
    for path in _committed_text_files():
        text = path.read_bytes().decode("utf-8", "replace")
        for n, line in enumerate(text.splitlines(), 1):
            if MACHINE_PATH.search(line):
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()[:120]}")
    assert not found, "absolute paths of a machine in committed files:\n" + "\n".join(found)


def test_the_scan_catches_what_it_is_for():
    assert MACHINE_PATH.search('"store_path": "/work/data/clips"')
    assert MACHINE_PATH.search("default /tmp/latentlab-bench") and MACHINE_PATH.search("'/home/ann/x'")
    assert not MACHINE_PATH.search("https://example.org/home/x") and not MACHINE_PATH.search("data/tmp/x")
    assert not MACHINE_PATH.search("${TMPDIR:-/tmp}/samples")
