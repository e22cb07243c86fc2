"""Benchmark ``latentlab ingest`` against a plain ``cv2.VideoCapture.read`` + ``cv2.resize`` loop.

Both run as fresh subprocesses over the same files in the same run (so both pay interpreter start
and OpenCV import), interleaved, ``--repeats`` times; the median wall times are compared:

* throughput on one file, and on ``--files`` files (ingest uses its default ``--jobs``: all cores);
* peak memory (VmHWM, the kernel's resident-set high-water mark, of every process in the tree,
  polled from /proc) when ingesting a 1-minute and a 10-minute video of the same kind.

Usage::

    python benchmarks/bench_ingest.py                 # 4 x 60 s 640x480 files, 1 vs 10 min memory
    python benchmarks/bench_ingest.py --seconds 20 --long-minutes 2 --repeats 1   # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASELINE = r"""
import sys, cv2
n = 0
for path in sys.argv[1:]:
    cap = cv2.VideoCapture(path)
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        cv2.resize(frame, (64, 64))
        n += 1
print(n)
"""


def make_video(path: Path, seconds: float, w: int, h: int, fps: float = 30.0) -> Path:
    """A synthetic video with moving content (gradient + moving disc), written frame by frame."""
    import cv2
    import numpy as np

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    if not writer.isOpened():
        raise SystemExit(f"cannot write {path}")
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([(xx * 255 // w), (yy * 255 // h), np.zeros_like(xx)], -1).astype(np.uint8)
    for i in range(int(seconds * fps)):
        frame = base.copy()
        frame[..., 2] = (i * 3) % 256
        cv2.circle(frame, ((i * 7) % w, h // 2 + int(h / 4 * np.sin(i / 15))), h // 6, (255, 255, 255), -1)
        writer.write(frame)
    writer.release()
    return path


def _tree_hwm(root: int, seen: dict[int, int]) -> None:
    """Record VmHWM (kB) of ``root`` and all its descendants into ``seen`` (pid -> kB)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    todo = [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmHWM:"):
                        seen[pid] = max(seen.get(pid, 0), int(line.split()[1]))
        except OSError:
            pass


CPU: dict[str, list[float]] = {}  # label -> CPU seconds (user + sys) of each run's process tree


def timed(cmd: list[str], label: str = "") -> tuple[float, dict[int, int], str]:
    """Run ``cmd``; return wall seconds, peak RSS per process of its tree (kB), and stdout.

    The CPU time of the whole tree (children that were waited for included) goes to ``CPU``.
    """
    seen: dict[int, int] = {}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = []
    reader = __import__("threading").Thread(target=lambda: out.append(proc.stdout.read()))
    reader.start()
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        _tree_hwm(proc.pid, seen)
        time.sleep(0.02)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    reader.join()
    CPU.setdefault(label, []).append(usage.ru_utime + usage.ru_stime)
    return wall, seen, out[0]


def run_baseline(files: list[Path]) -> tuple[float, int, dict]:
    wall, hwm, out = timed([sys.executable, "-c", BASELINE, *map(str, files)], f"baseline {len(files)}")
    return wall, int(out.strip()), hwm


def run_ingest(files: list[Path], store: Path, extra: list[str]) -> tuple[float, int, dict]:
    shutil.rmtree(store, ignore_errors=True)
    wall, hwm, out = timed(
        [sys.executable, "-m", "latentlab", "ingest", *map(str, files), "-o", str(store), "-q", "--json", *extra],
        f"ingest {len(files)}",
    )
    summary = json.loads(out)
    if summary["counts"]["ok"] != len(files):
        raise SystemExit(f"ingest did not read every file: {summary['counts']}")
    return wall, summary["frames_read"], hwm


def throughput(files: list[Path], work: Path, repeats: int, extra: list[str]) -> dict:
    base, ing = [], []
    for _ in range(repeats):  # interleaved, so that load changes hit both alike
        wb, nb, _ = run_baseline(files)
        wi, ni, _ = run_ingest(files, work / "store", extra)
        if nb != ni:
            raise SystemExit(f"frame counts differ: baseline {nb}, ingest {ni}")
        base.append(wb)
        ing.append(wi)
    b, i = statistics.median(base), statistics.median(ing)
    cb, ci = statistics.median(CPU[f"baseline {len(files)}"]), statistics.median(CPU[f"ingest {len(files)}"])
    return {
        "cpu_baseline_s": round(cb, 3),
        "cpu_ingest_s": round(ci, 3),
        "cpu_ratio": round(cb / ci, 3),
        "files": len(files),
        "frames": nb,
        "baseline_s": round(b, 3),
        "ingest_s": round(i, 3),
        "baseline_fps": round(nb / b),
        "ingest_fps": round(ni / i),
        "ratio": round(b / i, 3),
        "ratio_of_best_runs": round(min(base) / min(ing), 3),  # least disturbed by other processes
        "baseline_runs": [round(x, 3) for x in base],
        "ingest_runs": [round(x, 3) for x in ing],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=4, help="files for the multi-file run (default 4)")
    ap.add_argument("--seconds", type=float, default=60.0, help="length of each throughput video (default 60)")
    ap.add_argument("--size", default="640x480", help="throughput video size WxH (default 640x480)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--long-minutes", type=float, default=10.0, help="the long video for memory (default 10)")
    ap.add_argument("--workdir", default=None, help="keep the videos here (default: a temp folder)")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("ingest_args", nargs="*", help="extra arguments for latentlab ingest (after --)")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench-ingest-"))
    work.mkdir(parents=True, exist_ok=True)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; load before {os.getloadavg()}"
    )
    result = {}
    if not args.skip_throughput:
        files = []
        for k in range(args.files):
            p = work / f"tp{k}_{w}x{h}_{args.seconds:g}s.mp4"
            if not p.exists():
                make_video(p, args.seconds, w, h)
            files.append(p)
        one = result["one_file"] = throughput(files[:1], work, args.repeats, args.ingest_args)
        many = result["many_files"] = throughput(files, work, args.repeats, args.ingest_args)
        for name, r in (("1 file ", one), (f"{many['files']} files", many)):
            print(
                f"{name}: baseline {r['baseline_fps']} frames/s, ingest {r['ingest_fps']} frames/s (medians), "
                f"ratio {r['ratio']:.2f}x; best runs {r['ratio_of_best_runs']:.2f}x  "
                f"(runs {r['baseline_runs']} vs {r['ingest_runs']} s)"
            )
        for name, r in (("1 file", one), (f"{many['files']} files", many)):
            print(
                f"CPU time (user+sys, whole process tree), {name}: baseline {r['cpu_baseline_s']} s, "
                f"ingest {r['cpu_ingest_s']} s, efficiency ratio {r['cpu_ratio']:.2f}"
            )
    if not args.skip_memory:
        mem = {}
        for minutes in (1.0, args.long_minutes):
            p = work / f"mem_160x120_{minutes:g}min.mp4"
            if not p.exists():
                make_video(p, minutes * 60, 160, 120)
            wall, frames, hwm = run_ingest([p], work / "store-mem", args.ingest_args)
            mem[f"{minutes:g} min"] = {
                "frames": frames,
                "seconds": round(wall, 2),
                "peak_rss_max_process_mb": round(max(hwm.values()) / 1024, 1),
                "peak_rss_sum_processes_mb": round(sum(hwm.values()) / 1024, 1),
                "processes": len(hwm),
            }
        result["memory"] = mem
        a, b = mem["1 min"], mem[f"{args.long_minutes:g} min"]
        for key in ("peak_rss_max_process_mb", "peak_rss_sum_processes_mb"):
            print(
                f"peak RSS ({key[9:-3].replace('_', ' ')}): {a[key]} MB for 1 min ({a['frames']} frames), "
                f"{b[key]} MB for {args.long_minutes:g} min ({b['frames']} frames): "
                f"{100 * (b[key] / a[key] - 1):+.1f} %"
            )
    print(f"load after {os.getloadavg()}")
    print(json.dumps(result))
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
