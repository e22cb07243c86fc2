"""Steps the project tests share: open a project and wait, load a store, tag clips."""

from __future__ import annotations

from latentlab.core.tags import CreateTag, TagClips


def wait_open(qtbot, ctl, job):
    assert job is not None, ctl.ctx.status.last_error
    with qtbot.waitSignal(ctl.opened, timeout=10000):
        pass


def load(qtbot, w, store, ckpt):
    job = w.open(str(store), str(ckpt))
    with qtbot.waitSignal(job.succeeded, timeout=10000):
        pass


def tag(w, name, indices):
    cur = w.context.curation
    cur.undo.push(CreateTag(cur.book, name))
    cur.undo.push(TagClips(cur.book, name, indices))
