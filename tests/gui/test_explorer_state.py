"""ExplorerState: the Qt-free evented model every view listens to."""

from __future__ import annotations

import numpy as np
import pytest

from latentlab.core.explorer_state import ClipField, Dataset, ExplorerState
from tests.gui.fakes import tiny_latents


class _P:
    def __init__(self, coords):
        self.coords = coords
        self.method = "test"


def _state(n=20):
    mu, lv = tiny_latents(n, 4)
    s = ExplorerState()
    ds = Dataset(
        "t",
        mu,
        lv,
        codec=None,
        read_clips=lambda i: None,
        fields={"a": ClipField("a", np.arange(n) % 3, ("x", "y", "z")), "b": ClipField("b", np.arange(n) * 1.0)},
    )
    s.set_dataset(ds)
    return s, ds


def test_selection_modes_and_events():
    s, _ = _state()
    seen = []
    s.selection_changed.connect(lambda sel: seen.append(sel.tolist()))
    s.select([3, 1, 3])
    s.select([5], "add")
    s.select([1], "remove")
    s.select([5, 7], "toggle")
    s.select([7])  # unchanged: no event
    assert seen == [[1, 3], [1, 3, 5], [3, 5], [3, 7], [7]]
    assert s.current == 7


def test_current_follows_single_picks_and_stays_valid():
    s, _ = _state()
    s.select([4])
    assert s.current == 4
    s.select([2, 9], "add")
    assert s.current == 4  # still selected: the player keeps it
    s.select([4], "remove")
    assert s.current == 9


def test_bad_input_is_refused_with_words():
    s, _ = _state()
    with pytest.raises(IndexError, match="out of range"):
        s.select([99])
    with pytest.raises(ValueError, match="selection mode"):
        s.select([1], "xor")
    with pytest.raises(ValueError, match="expected"):
        s.set_projection(_P(np.zeros((3, 2))))
    with pytest.raises(KeyError, match="known"):
        s.set_colour_field("nope")
    with pytest.raises(ValueError, match="lerp"):
        s.set_interpolation(method="cubic")


def test_set_dataset_resets_and_picks_first_field():
    s, ds = _state()
    s.set_projection(_P(np.zeros((20, 2))))
    s.select([1, 2])
    s.move_probe(1, 2)
    s.set_dataset(ds)
    assert s.selection.size == 0 and s.current == -1 and s.probe is None and s.projection is None
    assert s.colour_field == "a"


def test_kl_matches_the_gaussian_formula():
    _, ds = _state()
    mu, lv = ds.mu.astype(np.float64), ds.logvar.astype(np.float64)
    var = np.exp(lv)
    expected = 0.5 * (mu**2 + var - 1 - lv)
    np.testing.assert_allclose(ds.kl_per_clip(), expected.sum(1), rtol=1e-5)
    np.testing.assert_allclose(ds.kl_per_dim(), expected.mean(0), rtol=1e-5)


def test_field_added_later_redraws_when_shown():
    s, _ = _state()
    s.set_colour_field("b")
    seen = []
    s.colour_field_changed.connect(seen.append)
    s.add_field(ClipField("b", np.zeros(20)))
    assert seen == ["b"]
