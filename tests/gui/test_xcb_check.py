"""The xcb plugin's libraries are checked before Qt aborts, and the exact packages are named."""

from __future__ import annotations

import argparse

from latentlab.gui import xcb_check

LDD = """\
\tlibQt6XcbQpa.so.6 => /x/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007fd371cf2000)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007fd371c08000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007fd371b75000)
"""


def test_the_missing_libraries_and_their_packages_are_named():
    missing = xcb_check.missing_libraries(LDD)
    assert missing == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]  # not libxcb-cursor0, which is there
    text = xcb_check.problem({"DISPLAY": ":0"}, LDD)
    assert "sudo apt install libxcb-icccm4 libxcb-keysyms1" in text
    assert "sudo dnf install xcb-util-wm xcb-util-keysyms" in text
    assert "libxcb-cursor0" not in text


def test_only_when_qt_will_use_xcb():
    assert xcb_check.problem({"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0"}, LDD) is None
    assert xcb_check.problem({}, LDD) is None  # no display
    assert xcb_check.problem({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, LDD) is None
    assert xcb_check.problem({"QT_QPA_PLATFORM": "xcb"}, LDD) is not None
    assert not xcb_check.uses_xcb({"DISPLAY": ":0"}, platform="darwin")
    assert xcb_check.problem({"DISPLAY": ":0"}, LDD.replace("not found", "/lib/x.so")) is None
    assert isinstance(xcb_check.missing_libraries(), list)  # the real plugin and ldd: never raises


def test_explore_stops_with_the_packages_before_qt_starts(monkeypatch, capsys):
    from latentlab.commands import explore

    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    real = xcb_check.missing_libraries
    monkeypatch.setattr(xcb_check, "missing_libraries", lambda ldd_output=None: real(LDD))
    parser = argparse.ArgumentParser()
    explore.add_arguments(parser)
    assert explore.run(parser.parse_args([])) == 1
    err = capsys.readouterr().err
    assert "libxcb-icccm4 libxcb-keysyms1" in err and "xcb-util-wm xcb-util-keysyms" in err
