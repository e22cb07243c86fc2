"""Video files dropped on the window: offer to cut them into clips, then reopen the store.

Clips get the geometry of the loaded model (frames x height x width x channels), so the new clips
can be encoded at once. Procedural stores (the demo) take no video, so drops onto the demo go to a
store of their own in the user data folder. Ingest runs as a background job (with progress per
file); when it ends the window reopens the store with the same model.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from latentlab.gui.errors import guarded
from latentlab.paths import user_data_dir


def target_store(window) -> Path:
    """Where dropped videos go: the open store if it holds videos, else ``<user data>/ingested``."""
    ds = window.state.dataset
    store = ds.store if ds is not None else None
    if store is not None and not store.factor_names:
        return Path(store.path)
    return user_data_dir() / "ingested"


def ask(parent, text: str) -> bool:
    """Yes/No question (tests replace this function)."""
    answer = QMessageBox.question(parent, "Add videos", text)
    return answer == QMessageBox.StandardButton.Yes


def offer_ingest(window, files: list[str]):
    """Ask, then ingest ``files`` into :func:`target_store` on a job; returns the job or ``None``."""
    try:
        from latentlab.media.clip_cutter import CutSettings
        from latentlab.media.ingest import IngestOptions, ingest
    except ImportError as exc:  # the media layer is optional in a partial install
        window.status.show_error(f"would ingest {len(files)} video file(s), but ingest is unavailable: {exc}")
        return None
    codec = window.state.dataset.codec if window.state.dataset is not None else None
    if codec is None:
        window.status.show_error("open a model first: dropped videos are cut to the model's clip size")
        return None
    store = target_store(window)
    settings = CutSettings(frames=codec.frames, height=codec.height, width=codec.width, channels=codec.channels)
    names = ", ".join(Path(f).name for f in files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
    text = (
        f"Cut {names} into {settings.frames}-frame {settings.width}×{settings.height} clips and add them "
        f"to the store {store}?\nThe explorer then reopens that store with the current model."
    )
    if not ask(window, text):
        return None
    checkpoint = window.checkpoint

    def job(ctx):
        done = [0]

        def on_record(_rec):
            done[0] += 1
            ctx.progress(done[0] / max(len(files), 1), text=f"{done[0]}/{len(files)} files")

        summary = ingest(files, store, IngestOptions(settings=settings, jobs=1), on_record=on_record)
        return summary

    def finished(summary) -> None:
        counts = summary.counts()
        failed = counts.get("failed", 0)
        written, dups = summary.clips_written, summary.duplicates
        text = f"ingested {len(summary.records)} dropped file(s): {written:,} new clips in {store.name}"
        text += f"; {dups} skipped as byte-identical duplicates" if dups else ""
        spread = summary.fps_spread()
        if spread:
            text += (
                f"; their frame rates differ ({spread[0]:g} to {spread[1]:g} fps): a clip spans a different "
                "time per video (latentlab ingest --fps cuts every video at one rate)"
            )
        window.statusBar().showMessage(text, 15000)
        if failed:
            window.status.show_error(
                f"{failed} of {len(summary.records)} dropped files could not be ingested "
                f"(see {store}/ingest_report.json)"
            )
        if summary.clips_in_store:
            window.open(str(store), checkpoint)

    j = window.runner.submit(f"ingest {len(files)} file(s)", job)
    j.succeeded.connect(guarded(finished))
    return j
