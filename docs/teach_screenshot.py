"""Grab docs/teach_elbo.png: the explorer on the bundled demo with the Teach dock's ELBO panel open.

    python docs/teach_screenshot.py [OUT.png] [CLIP] [PANEL]   (PANEL: elbo, samples or paths)

Opens the demo like ``latentlab explore --screenshot`` does (the first run generates and encodes the
demo clips, a few minutes on 2 cores), selects ``CLIP``, opens the ELBO panel, waits for the model's
ELBO terms and the posterior cloud, then saves ``QWidget.grab()`` of the window (offscreen is fine).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(out: str = "docs/teach_elbo.png", clip: int = 123, panel: str = "elbo") -> int:
    from PySide6.QtCore import QSettings, QTimer

    from latentlab.gui.app import make_app, ready_for_screenshot
    from latentlab.gui.main_window import MainWindow

    app = make_app()
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "shot.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.status.dialogs_enabled = False
    window.resize(1440, 900)
    window.show()
    window.open(None, None)
    teach = window.context.teach
    t0, stage, code = time.perf_counter(), [0], [1]

    def poll() -> None:
        if stage[0] == 0 and ready_for_screenshot(window):
            stage[0] = 1
            window.state.select([clip])
            if panel == "paths":
                window.state.set_interpolation(a=clip, b=clip + 1)
            teach.show_panel(panel)
        elif (
            stage[0] == 1
            and teach.elbo.elbo is not None
            and teach.samples.z is not None
            and window.state.current == clip
            and (panel != "paths" or teach.paths.slerp_view.frames is not None)
        ):
            stage[0] = 2
            QTimer.singleShot(800, save)  # let the frames and the bars paint
        elif time.perf_counter() - t0 > 900:
            print("the demo was not ready after 900 s", file=sys.stderr)
            app.quit()

    def save() -> None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        ok = window.grab().save(out)
        print(f"{'saved' if ok else 'could not save'} {out} after {time.perf_counter() - t0:.1f} s")
        code[0] = 0 if ok else 1
        window.close()
        app.quit()

    timer = QTimer(window)
    timer.timeout.connect(poll)
    timer.start(100)
    app.exec()
    window.shutdown()
    return code[0]


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2], *(int(a) for a in sys.argv[2:3]), *sys.argv[3:4]))
