"""The sample datasets the app offers (File -> Open sample data, ``latentlab demo-data --kind``).

Each one is procedural (generated, seeded, identical bytes per seed; nothing is downloaded) and has
a bundled model in ``checkpoints/<checkpoint>``. One entry per dataset, here only.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass

from latentlab.media.clip_store import ClipStore
from latentlab.media.demo_data import SHAPES, DemoSpec, demo_fingerprint, write_demo_store
from latentlab.media.digits_data import DIGITS, DigitsSpec, digits_fingerprint, write_digits_store


@dataclass(frozen=True)
class SampleDataset:
    """One sample dataset: how to make it and what it shows."""

    kind: str  # the name on the command line and in the config of its bundled model
    title: str  # menu text
    description: str
    spec_type: type  # DemoSpec or DigitsSpec: the dataclass of its parameters
    write: Callable[..., ClipStore]  # write(path, spec, progress=None)
    class_factor: str  # the discrete ground-truth factor
    class_names: tuple[str, ...]
    default_colour: str  # the factor the map is coloured by at first (one the map shows)
    checkpoint: str  # folder of its bundled model under checkpoints/
    attrs_key: str  # where the store's attrs (and the model's config data) keep the spec
    fingerprint: Callable[..., str]  # fingerprint(spec): the generator's, written into the store's source

    def made_by_this_version(self, store: ClipStore, spec) -> bool:
        """Whether ``store`` holds exactly what this version's generator makes of ``spec`` (a store
        written by an older generator, or for another spec, does not)."""
        sources = store.sources
        return len(sources) == 1 and sources[0].get("fingerprint") == self.fingerprint(spec)

    def spec(self, **params) -> object:
        """A spec of this dataset; unknown keys are ignored (configs written by other versions)."""
        known = {f.name for f in dataclasses.fields(self.spec_type)}
        return self.spec_type(**{k: v for k, v in params.items() if k in known})

    def write_store(
        self, path: str | os.PathLike, spec=None, progress: Callable[[int, int], None] | None = None
    ) -> ClipStore:
        return self.write(path, spec or self.spec_type(), progress=progress)


SAMPLE_DATASETS: dict[str, SampleDataset] = {
    "sprites": SampleDataset(
        "sprites",
        "Bouncing sprites",
        "one sprite (circle, square, cross or triangle) of a random size and colour, moving and bouncing",
        DemoSpec,
        write_demo_store,
        "shape",
        SHAPES,
        "shape",
        "demo",
        "demo",
        demo_fingerprint,
    ),
    "digits": SampleDataset(
        "digits",
        "Moving handwritten digits",
        "one handwritten digit (scikit-learn's digits) moving and bouncing, like Moving MNIST",
        DigitsSpec,
        write_digits_store,
        "digit",
        DIGITS,
        "digit",
        "digits",
        "digits",
        digits_fingerprint,
    ),
}


def sample_for_config(config: dict) -> SampleDataset | None:
    """The sample dataset a checkpoint's config says its model was trained on (None for other data)."""
    data = config.get("data", {}) if isinstance(config, dict) else {}
    kind = data.get("sample_kind")
    if kind in SAMPLE_DATASETS:
        return SAMPLE_DATASETS[kind]
    return SAMPLE_DATASETS["sprites"] if data.get("demo_spec") else None
