"""Before Qt starts on an X11 desktop: are the system libraries of Qt's xcb plugin there?

Without them Qt aborts with its own message, which names only ``libxcb-cursor0`` whatever is missing
(on a Debian with libxcb-cursor0 but without libxcb-icccm4 and libxcb-keysyms1 it still says
libxcb-cursor0). :func:`problem` asks the dynamic linker (``ldd`` on the plugin) which libraries are
missing and names the packages that provide them on Debian/Ubuntu and on Fedora. Nothing here loads
the plugin or starts Qt.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

#: soname -> (Debian/Ubuntu package, Fedora package)
PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-xinerama.so.0": ("libxcb-xinerama0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
}
_NOT_FOUND = re.compile(r"^\s*(\S+)\s*=>\s*not found", re.MULTILINE)


def uses_xcb(environ=None, platform: str | None = None) -> bool:
    """Will Qt pick its xcb plugin? (Linux, an X display, no other platform asked for, no Wayland.)"""
    env = os.environ if environ is None else environ
    if not (platform or sys.platform).startswith("linux"):
        return False
    asked = env.get("QT_QPA_PLATFORM", "")
    if asked:
        return asked.split(":")[0].split(";")[0] == "xcb"
    return bool(env.get("DISPLAY")) and not env.get("WAYLAND_DISPLAY")


def plugin_path() -> Path | None:
    """PySide6's ``libqxcb.so`` (found without importing PySide6), or ``None``."""
    spec = importlib.util.find_spec("PySide6")
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = Path(root) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
        if path.is_file():
            return path
    return None


def missing_libraries(ldd_output: str | None = None) -> list[str]:
    """Sonames the xcb plugin needs that the dynamic linker cannot find (``ldd`` on the plugin);
    ``[]`` when all are there or when it cannot be told (no plugin, no ``ldd``)."""
    if ldd_output is None:
        plugin, ldd = plugin_path(), shutil.which("ldd")
        if plugin is None or ldd is None:
            return []
        try:
            ldd_output = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=20).stdout
        except (OSError, subprocess.SubprocessError):
            return []
    return list(dict.fromkeys(_NOT_FOUND.findall(ldd_output)))


def install_hint(missing: list[str]) -> str:
    """The commands that install the packages holding ``missing`` sonames."""
    known = [PACKAGES[s] for s in missing if s in PACKAGES]
    unknown = [s for s in missing if s not in PACKAGES]
    debian = " ".join(dict.fromkeys(d for d, _ in known))
    fedora = " ".join(dict.fromkeys(f for _, f in known))
    lines = []
    if known:
        lines += [f"  Debian/Ubuntu: sudo apt install {debian}", f"  Fedora:        sudo dnf install {fedora}"]
    if unknown:
        lines.append(f"  and the packages that provide {', '.join(unknown)}")
    return "\n".join(lines)


def problem(environ=None, ldd_output: str | None = None) -> str | None:
    """A message naming the missing libraries and the packages to install, or ``None`` (all there,
    or Qt will not use xcb)."""
    if not uses_xcb(environ):
        return None
    missing = missing_libraries(ldd_output)
    if not missing:
        return None
    return (
        f"the window cannot open: Qt's X11 (xcb) plugin needs system libraries that are missing "
        f"({', '.join(missing)}). Install them with\n{install_hint(missing)}\n"
        "(or run headless with QT_QPA_PLATFORM=offscreen, e.g. for --screenshot)"
    )
