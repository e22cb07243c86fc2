"""The top-level handler: one line and a documented status for every kind of failure."""

from __future__ import annotations

import errno

import pytest

from latentlab.cli import EXIT_ERROR, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE, main
from latentlab.core.errors import UserError


@pytest.fixture
def failing(monkeypatch):
    """``failing(exc)``: ``latentlab info`` raises ``exc``."""

    def install(exc):
        def run(args):
            raise exc

        monkeypatch.setattr("latentlab.commands.info.run", run)

    return install


@pytest.mark.parametrize(
    "exc,code,words",
    [
        (UserError("the store is damaged"), EXIT_ERROR, "latentlab info: error: the store is damaged"),
        (
            OSError(errno.ENOSPC, "No space left on device", "/x/y"),
            EXIT_ERROR,
            "latentlab info: error: No space left on device (/x/y)",
        ),
        (MemoryError(), EXIT_ERROR, "latentlab info: error: out of memory; try a smaller batch or fewer clips"),
        (KeyboardInterrupt(), EXIT_INTERRUPTED, "latentlab info: interrupted"),
    ],
)
def test_expected_failures_are_one_line(failing, capsys, exc, code, words):
    failing(exc)
    assert main(["info", "x"]) == code
    err = capsys.readouterr().err
    assert err.strip() == words


def test_a_bug_is_one_line_with_the_traceback_in_a_log_file(failing, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("LATENTLAB_DATA", str(tmp_path))
    failing(ZeroDivisionError("division by zero"))
    assert main(["info", "x"]) == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "internal error: ZeroDivisionError: division by zero" in err and "--debug" in err
    (log,) = (tmp_path / "logs").glob("info-*.log")
    assert str(log) in err and "Traceback" in log.read_text() and "ZeroDivisionError" in log.read_text()


def test_debug_prints_the_traceback(failing, capsys):
    failing(ZeroDivisionError("division by zero"))
    assert main(["--debug", "info", "x"]) == EXIT_INTERNAL
    assert "Traceback" in capsys.readouterr().err
    assert main(["info", "x", "--debug"]) == EXIT_INTERNAL
    assert "Traceback" in capsys.readouterr().err


def test_usage_errors_are_one_line_with_status_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "store"])
    assert exc.value.code == EXIT_USAGE
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("latentlab train: error: the following arguments are required")
