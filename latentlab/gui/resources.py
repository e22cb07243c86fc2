"""The one helper through which the GUI finds its stylesheets (and any other resource file).

Asking for an unknown name fails with the list of names that exist, so a typo is caught at once.
"""

from __future__ import annotations

from pathlib import Path

from latentlab.paths import resources_dir


class ResourceError(LookupError):
    """A resource name that does not exist."""


def styles_dir() -> Path:
    return resources_dir() / "styles"


def stylesheet(*names: str) -> str:
    """Concatenate the stylesheets ``resources/styles/<name>.qss`` in the given order."""
    known = sorted(p.stem for p in styles_dir().glob("*.qss"))
    parts = []
    for name in names or ("dark",):
        path = styles_dir() / f"{name}.qss"
        if not path.is_file():
            raise ResourceError(f"no stylesheet {name!r}; known: {', '.join(known) or 'none'}")
        parts.append(path.read_text(encoding="utf-8"))
    return "\n".join(parts)
