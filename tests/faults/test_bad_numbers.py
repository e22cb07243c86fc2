"""Bad numbers for every numeric option of every command, found by walking the argument parsers.

A new option with a ``type`` is covered automatically. Each value either is refused by the parser with
one line (status 2) or runs the command on tiny real inputs; neither may print a traceback.
"""

from __future__ import annotations

import argparse

import pytest

from latentlab.cli import COMMANDS, build_parser
from latentlab.commands.options import Number

from .conftest import TINY_TRAIN, one_line_error

VALUES = ("0", "-1", "nan", "inf", "1e20", "100000000000000000000")


def command_parser(name: str) -> argparse.ArgumentParser:
    parser = build_parser([name])
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]


def typed_options() -> list[tuple[str, str, argparse.Action]]:
    """(command, option, action) for every option that parses its value (``type`` other than str)."""
    found = []
    for name in COMMANDS:
        for action in command_parser(name)._actions:
            if action.option_strings and action.type not in (None, str):
                found.append((name, max(action.option_strings, key=len), action))
    return found


OPTIONS = typed_options()


def test_every_number_goes_through_the_validation_layer():
    raw = [f"{c} {o}" for c, o, a in OPTIONS if a.type in (int, float)]
    assert not raw, f"use latentlab.commands.options instead of a bare int/float type: {raw}"
    assert sum(isinstance(a.type, Number) for *_, a in OPTIONS) >= 25


@pytest.fixture
def base_args(store, base_checkpoint, project, tmp_path):
    """Arguments that make each command run for real (and quickly) on tiny inputs."""
    notes = tmp_path / "notes.txt"
    notes.write_text("not a video")
    return {
        "explore": ["explore", "--store", tmp_path / "no-such-store"],  # stops before Qt starts
        "ingest": ["ingest", notes, "-o", tmp_path / "ingested", "-q", "--jobs", "0"],
        "demo-data": ["demo-data", "-o", tmp_path / "demo", "--n", "3", "--frames", "2", "--size", "8", "-q"],
        "info": ["info", store],
        "train": [
            "train",
            store,
            "-o",
            tmp_path / "ck",
            *TINY_TRAIN,
        ],
        # no judge: a CNN trained for each accepted value took minutes per case on a loaded machine
        "eval": [
            "eval",
            base_checkpoint,
            store,
            "--codec-clips",
            "0",
            "--max-clips",
            "8",
            "--device",
            "cpu",
            "--no-judge",
        ],
        "embed": ["embed", base_checkpoint, store, "-q", "--device", "cpu"],
        "map": ["map", store],
        "export": ["export", project, "--all", "--format", "manifest", "-o", tmp_path / "exported", "-q"],
    }


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("command,option", [(c, o) for c, o, _ in OPTIONS], ids=[f"{c}{o}" for c, o, _ in OPTIONS])
def test_no_traceback(cli, base_args, command, option, value):
    result = cli(*base_args[command], option, value)
    assert "Traceback" not in result.err + result.out, result.err
    assert result.code in (0, 1, 2), result.err
    if result.code == 2 and f"argument {option}" in result.err:  # refused by the parser: one line
        assert len(result.err.strip().splitlines()) == 1, result.err
    elif result.code:
        one_line_error(result, command)


@pytest.mark.parametrize(
    "argv",
    [
        ["explore", "--timeout", "nan"],
        ["ingest", "x.mp4", "-o", "s", "--timeout", "nan"],
        ["train", "s", "-o", "c", "--val-fraction", "-0.5"],
        ["train", "s", "-o", "c", "--kl-warmup", "-2"],
        ["ingest", "x.mp4", "-o", "s", "--jobs", "-1"],
        ["train", "s", "-o", "c", "--threads", "0"],
        ["eval", "c", "s", "--max-clips", "0"],
        ["eval", "c", "s", "--max-clips", "-5"],
        ["train", "s", "-o", "c", "--epochs", "0"],
        ["train", "s", "-o", "c", "--batch-size", "0"],
        ["train", "s", "-o", "c", "--lr", "-1"],
        ["train", "s", "-o", "c", "--lr", "nan"],
        ["train", "s", "-o", "c", "--num-workers", "-1"],
        ["train", "s", "-o", "c", "--latent-dim", "100000000"],
        ["embed", "c", "s", "--shard", "0/100000000000000000000"],
        ["demo-data", "-o", "s", "--size", "100000"],
        ["ingest", "x.mp4", "-o", "s", "--size", "100000x100000"],
        ["demo-data", "-o", "s", "--n", "10000000000000"],
    ],
    ids=lambda argv: " ".join(argv),
)
def test_nonsense_is_refused_with_one_line(cli, argv):
    result = cli(*argv)
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"latentlab {argv[0]}: error: argument "), result.err


def test_exit_status_is_documented_in_every_help(cli):
    for name in ("", *COMMANDS):
        result = cli(*([name] if name else []), "--help")
        assert result.code == 0 and "exit status (every command)" in result.out and "3    internal error" in result.out
