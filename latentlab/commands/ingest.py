"""``latentlab ingest PATH... -o STORE``: cut video files into fixed-size clips in a clip store."""

from __future__ import annotations

import argparse
import json
import os
import sys

DESCRIPTION = """\
Cut video files (and every video in the given folders, recursively) into clips of a fixed size
and append them to a clip store. Each input file gets one record (ok, partial, failed or skipped,
with the reason) in STORE/ingest_report.json. Running again into the same store skips unchanged
files and re-ingests changed ones. A damaged file never stops the batch.

Aspect ratio: by default (--fit crop) the largest centred region of each frame that has the clip's
aspect ratio is kept and scaled down, so nothing is distorted and the edges of wider (or portrait)
frames are lost; --fit pad keeps the whole frame and adds black bars; --fit stretch distorts it.
Frames come out upright: rotation metadata is applied by the decoder.
"""

EPILOG = "exit status: 0 done (even if some files failed), 2 with --strict when any file failed, 1 on a store error"


def _size(text: str) -> tuple[int, int]:
    """'64' or '96x64' (width x height) -> (width, height)."""
    try:
        parts = [int(p) for p in text.lower().split("x")]
    except ValueError:
        parts = []
    if len(parts) == 1:
        parts *= 2
    if len(parts) != 2 or min(parts) < 1 or max(parts) > 4096:
        raise argparse.ArgumentTypeError(f"size must look like 64 or 96x64 (width x height, 1 to 4096), got {text!r}")
    return parts[0], parts[1]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from latentlab.commands.options import SECONDS, float_range, int_range
    from latentlab.media.clip_cutter import FITS, RESIZES  # numpy only: --help stays light

    parser.description = DESCRIPTION
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("paths", nargs="+", metavar="PATH", help="video files and folders")
    parser.add_argument("-o", "--output", required=True, metavar="STORE", help="clip store folder (created if needed)")
    g = parser.add_argument_group("clips")
    g.add_argument("--frames", "-T", type=int_range(1, 1024), default=8, help="frames per clip (default 8)")
    g.add_argument(
        "--size",
        type=_size,
        default=(64, 64),
        metavar="WxH",
        help="frame size, e.g. 64 or 96x64 (default 64x64); see --fit for the aspect ratio",
    )
    g.add_argument(
        "--fit",
        choices=FITS,
        default="crop",
        help="aspect ratio handling: centre-crop (default), pad with black, or stretch",
    )
    g.add_argument(
        "--resize",
        choices=RESIZES,
        default="fast",
        help="scaling: fast = bilinear to 2x then 2x2 averaging (default); area = exact area average (slower)",
    )
    g.add_argument(
        "--stride",
        type=int_range(1, 10**6),
        default=None,
        help="frames between clip starts (default: the clip length, i.e. no overlap)",
    )
    g.add_argument(
        "--fps",
        type=float_range(0.0, 1000.0, low_open=True),
        default=None,
        help="resample to this frame rate by timestamp (default: keep every decoded frame)",
    )
    g.add_argument("--channels", type=int_range(1, 3), choices=(1, 3), default=3, help="3 = RGB (default), 1 = grey")
    r = parser.add_argument_group("running")
    r.add_argument(
        "--jobs",
        "-j",
        type=int_range(0, 1024),
        default=None,
        help="files decoded in parallel (default: all available cores); 0 = in this process",
    )
    r.add_argument(
        "--timeout",
        type=SECONDS,
        default=60.0,
        metavar="S",
        help="give up on a file after S seconds without a newly decoded frame (default 60)",
    )
    r.add_argument(
        "--max-file-seconds",
        type=SECONDS,
        default=None,
        metavar="S",
        help="give up on a file after S seconds in all (default: no limit)",
    )
    r.add_argument("--strict", action="store_true", help="exit with status 2 if any file failed")
    r.add_argument("--json", action="store_true", help="print a machine-readable summary on stdout")
    r.add_argument("--quiet", "-q", action="store_true", help="no progress and no per-file lines on stderr")


def run(args: argparse.Namespace) -> int:
    from latentlab.core.output_guard import STORE, output_lock, refuse_foreign_output
    from latentlab.media.clip_cutter import CutSettings
    from latentlab.media.clip_store import StoreError
    from latentlab.media.ingest import IngestError, IngestOptions, ingest

    if not any(os.path.lexists(p) for p in args.paths):  # a typo: create no store at all
        raise IngestError(f"no input exists: {', '.join(args.paths)}; nothing was created")
    refuse_foreign_output(args.output, allowed=(STORE,))

    try:
        settings = CutSettings(
            frames=args.frames,
            width=args.size[0],
            height=args.size[1],
            channels=args.channels,
            stride=args.stride,
            fps=args.fps,
            fit=args.fit,
            resize=args.resize,
        )
    except ValueError as exc:
        print(f"latentlab ingest: error: {exc}", file=sys.stderr)
        return 1
    options = IngestOptions(
        settings, jobs=args.jobs, stall_timeout=args.timeout, max_file_seconds=args.max_file_seconds
    )
    ui = _Progress(quiet=args.quiet)
    try:
        with output_lock(args.output):
            summary = ingest(
                args.paths, args.output, options, on_start=ui.start, on_record=ui.record, on_frames=ui.frames
            )
    except (IngestError, StoreError) as exc:
        print(f"latentlab ingest: error: {exc}", file=sys.stderr)
        return 1
    finally:
        ui.close()
    if args.json:
        print(json.dumps(summary.to_json(), indent=2, ensure_ascii=False))
    else:
        print(format_summary(summary))
    spread = None if args.fps else summary.fps_spread()
    if spread:  # each file kept its own rate: say what that means for a clip, and the way out
        from latentlab.core.frame_rate import FALLBACK_FPS

        lo, hi = spread
        print(
            f"latentlab ingest: warning: the videos' frame rates differ ({lo:g} to {hi:g} fps), so one "
            f"{args.frames}-frame clip spans {args.frames / hi:.2f} s of one video and {args.frames / lo:.2f} s "
            f"of another; ingest again with --fps {min(FALLBACK_FPS, lo):g} to cut every video at one rate",
            file=sys.stderr,
        )
    return 2 if args.strict and summary.any_failed else 0


class _Progress:
    """A tqdm bar over files on an interactive stderr, plus one line per finished file."""

    def __init__(self, quiet: bool) -> None:
        self.quiet, self.bar, self.n_frames = quiet, None, 0

    def start(self, n_files: int) -> None:
        if not self.quiet and sys.stderr.isatty():
            from tqdm import tqdm

            tqdm.monitor_interval = 0  # no monitor thread: workers can then be forked cheaply
            self.bar = tqdm(total=n_files, unit="file", file=sys.stderr, dynamic_ncols=True)

    def frames(self, n: int) -> None:
        self.n_frames += n
        if self.bar is not None:
            self.bar.set_postfix_str(f"{self.n_frames} frames", refresh=False)

    def record(self, rec) -> None:
        if self.bar is not None:
            self.bar.update(1)
        if self.quiet or rec.reason.startswith("not a video file ("):  # counted in the summary
            return
        line = f"{rec.status:8s} {rec.path}  ({rec.clips} clips) {rec.reason}"
        if self.bar is not None:
            self.bar.write(line, file=sys.stderr)
        else:
            print(line, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def format_summary(summary, limit: int = 12) -> str:
    """A one-screen summary: counts, the files that failed or were partial, the store's totals."""
    c = summary.counts()
    js = summary.to_json()
    lines = [
        f"ingest into {summary.store}: {len(summary.records)} files in {summary.seconds:.1f} s — "
        f"{c['ok']} ok, {c['partial']} partial, {c['failed']} failed, {c['skipped']} skipped",
        f"  {js['frames_read']} frames read, {js['clips_written']} clips written; the store now holds "
        f"{summary.clips_in_store} clips",
    ]
    bad = [r for r in summary.records if r.status in ("failed", "partial") or r.is_duplicate]
    for r in bad[:limit]:
        lines.append(f"  {r.status:7s} {r.path}: {r.reason}")
    if len(bad) > limit:
        lines.append(f"  ... and {len(bad) - limit} more")
    if bad or c["skipped"]:
        lines.append(f"  every file's record: {os.path.join(summary.store, 'ingest_report.json')}")
    return "\n".join(lines)
