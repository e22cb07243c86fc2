"""The window on a real store with a real (tiny, untrained) model, and the scripted screenshot."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from latentlab.app import loading
from latentlab.media.demo_data import write_demo_store
from tests.app.conftest import SPEC, save_demo_checkpoint


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return save_demo_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny")


def test_cached_latents_show_the_map_before_the_model_loads(checkpoint, qtbot, settings):
    first = loading.open_dataset(None, checkpoint)  # encodes and caches latents and the PCA map
    loaded = loading.open_dataset(None, checkpoint)
    assert loaded.dataset.codec is None  # nothing needed torch: the map comes from the cache
    from latentlab.paths import user_data_dir

    assert list(user_data_dir().rglob("latents/*/maps/*.json"))  # the PCA map, saved beside the latents
    np.testing.assert_array_equal(loaded.projection.coords, first.projection.coords)
    from latentlab.gui.main_window import MainWindow

    w = MainWindow(settings=settings)
    qtbot.addWidget(w)
    w.status.dialogs_enabled = False
    w.show()
    w.show_loaded(loaded)
    assert w.map.groups and "loading the model" in w.player.numbers.text()
    qtbot.waitUntil(lambda: w.player.index == w.state.current and w.probe.result is not None, timeout=60000)
    qtbot.waitUntil(lambda: "cluster" in w.state.dataset.fields, timeout=60000)
    assert w.colour_combo.findText("cluster") >= 0
    w.close()


@pytest.mark.slow
def test_scripted_screenshot_end_to_end(checkpoint, tmp_path):
    store = write_demo_store(tmp_path / "store", SPEC)
    out = tmp_path / "shot.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "latentlab",
            "explore",
            "--store",
            str(store.path),
            "--checkpoint",
            str(checkpoint),
            "--screenshot",
            str(out),
            "--timeout",
            "120",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    from PIL import Image

    with Image.open(out) as im:
        assert im.size == (1440, 900)
        assert len(np.unique(np.asarray(im.convert("RGB")).reshape(-1, 3), axis=0)) > 50  # rendered, not blank


def test_explore_rejects_bad_paths(tmp_path, capsys):
    from latentlab.cli import main

    assert main(["explore", "--store", str(tmp_path / "missing")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert main(["explore", "--screenshot", str(tmp_path / "x.txt")]) == 2
