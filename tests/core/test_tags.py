"""TagBook, SavedSelections and the tag commands: exact undo/redo, refused input, storage by clip key."""

from __future__ import annotations

import numpy as np
import pytest

from latentlab.core.tags import (
    PALETTE,
    CreateTag,
    DeleteTag,
    RecolourTag,
    RenameTag,
    SavedSelections,
    TagBook,
    TagClips,
    TagError,
    UntagClips,
    suggest_from_tags,
    tag_clips,
)
from latentlab.core.undo import UndoStack

KEYS = np.array([f"src{i % 3}:{i * 8}:{i}" for i in range(20)])


def snapshot(book: TagBook):
    return (
        [(n, book.colour(n), book.members(n).tolist()) for n in book.names()],
        {k: list(v) for k, v in book.orphans.items()},
    )


@pytest.fixture
def book():
    b = TagBook(20)
    stack = UndoStack()
    stack.push(CreateTag(b, "cats", "#FF0000"))
    stack.push(CreateTag(b, "dogs"))
    stack.push(CreateTag(b, "birds", "#00ff00"))
    stack.push(TagClips(b, "cats", [3, 1, 2, 3]))
    stack.push(TagClips(b, "dogs", [2, 5, 19]))
    b.orphans["dogs"] = ["other:0:0"]
    return b


COMMANDS = {
    "create": lambda b: CreateTag(b, "fish"),
    "create coloured": lambda b: CreateTag(b, "fish", "#123456"),
    "rename": lambda b: RenameTag(b, "dogs", "hounds"),
    "rename first": lambda b: RenameTag(b, "cats", "kittens"),
    "recolour": lambda b: RecolourTag(b, "cats", "#0000ff"),
    "delete middle": lambda b: DeleteTag(b, "dogs"),
    "delete first": lambda b: DeleteTag(b, "cats"),
    "tag": lambda b: TagClips(b, "cats", [0, 3, 7]),
    "tag some already": lambda b: TagClips(b, "cats", [1, 2, 4]),  # undo keeps 1 and 2
    "untag": lambda b: UntagClips(b, "dogs", [5, 6, 19]),
    "macro": lambda b: tag_clips(b, {"cats": [10, 11], "new": [1, 12]}),
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_redo_undo_restores_the_exact_state(book, name):
    stack = UndoStack()
    events = []
    book.changed.connect(lambda: events.append(1))
    before = snapshot(book)
    stack.push(COMMANDS[name](book))
    after = snapshot(book)
    assert after != before and events
    stack.undo()
    assert snapshot(book) == before
    stack.redo()
    assert snapshot(book) == after
    stack.undo()
    assert snapshot(book) == before


def test_effects_of_the_commands(book):
    assert book.names() == ["cats", "dogs", "birds"]
    assert book.colour("cats") == "#ff0000" and book.colour("dogs") == PALETTE[0]
    assert book.counts() == {"cats": 3, "dogs": 3, "birds": 0}
    assert book.tags_of(2) == ["cats", "dogs"] and book.tags_of(0) == []
    stack = UndoStack()
    stack.push(RenameTag(book, "dogs", "hounds"))
    assert book.names() == ["cats", "hounds", "birds"] and book.orphans == {"hounds": ["other:0:0"]}
    stack.push(DeleteTag(book, "hounds"))
    assert "hounds" not in book and book.orphans == {}
    stack.undo()
    assert book.members("hounds").tolist() == [2, 5, 19] and book.colour("hounds") == PALETTE[0]
    assert book.orphans == {"hounds": ["other:0:0"]}
    assert TagClips(book, "cats", np.arange(12)).text == "tag 12 clips as 'cats'"
    assert UntagClips(book, "cats", [1]).text == "untag 1 clip from 'cats'"


def test_create_after_undo_reuses_its_colour():
    b, stack = TagBook(4), UndoStack()
    stack.push(CreateTag(b, "a"))
    stack.push(CreateTag(b, "b"))
    colour = b.colour("b")
    stack.undo()
    stack.push(CreateTag(b, "c"))  # takes the free colour
    stack.undo()
    stack.redo()
    assert b.colour("c") == colour


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda b: CreateTag(b, "cats"), "already"),
        (lambda b: CreateTag(b, "  "), "some text"),
        (lambda b: CreateTag(b, ""), "some text"),
        (lambda b: CreateTag(b, "x", "red"), "#rrggbb"),
        (lambda b: RenameTag(b, "cats", "dogs"), "already"),
        (lambda b: RenameTag(b, "nope", "x"), "no tag 'nope'"),
        (lambda b: RenameTag(b, "cats", ""), "some text"),
        (lambda b: RecolourTag(b, "nope", "#000000"), "no tag"),
        (lambda b: DeleteTag(b, "nope"), "no tag"),
        (lambda b: TagClips(b, "cats", [1, 20]), "clip 20 does not exist"),
        (lambda b: TagClips(b, "cats", [-1]), "clip -1 does not exist"),
        (lambda b: TagClips(b, "cats", [1.5]), "whole-number"),
        (lambda b: TagClips(b, "nope", [1]), "no tag"),
        (lambda b: UntagClips(b, "cats", [99]), "does not exist"),
        (lambda b: tag_clips(b, {"new": [1], "cats": [50]}), "does not exist"),
    ],
)
def test_bad_edits_are_refused_before_anything_changes(book, make, match):
    stack = UndoStack()
    before = snapshot(book)
    with pytest.raises(TagError, match=match):
        stack.push(make(book))
    assert snapshot(book) == before and not stack.can_undo


def test_a_failing_macro_part_rolls_back(book):
    stack = UndoStack()
    before = snapshot(book)
    macro = tag_clips(book, {"new": [1], "cats": [4]})
    macro.commands[-1].name = "gone"  # fails at redo time, after "new" was created and filled
    with pytest.raises(TagError):
        stack.push(macro)
    assert snapshot(book) == before


def test_rename_to_itself_is_allowed_and_names_may_hold_any_characters():
    b, stack = TagBook(3), UndoStack()
    for name in ("tab\there", "line\nbreak", "chats écureuils 猫", 'a,b;"c"'):
        stack.push(CreateTag(b, name))
    stack.push(TagClips(b, "chats écureuils 猫", [0, 2]))
    stack.push(RenameTag(b, "tab\there", "tab\there"))
    restored = TagBook.from_dict(b.to_dict(KEYS[:3]), KEYS[:3])
    assert snapshot(restored) == snapshot(b)


def test_field_codes_the_first_tag_and_carries_colours(book):
    f = book.field()
    assert f.name == "tag" and f.categorical and f.categories == ("cats", "dogs", "birds")
    assert f.colours == ("#ff0000", PALETTE[0], "#00ff00")
    expected = np.full(20, -1)
    expected[[5, 19]] = 1
    expected[[1, 2, 3]] = 0  # clip 2 is in both: its first tag wins
    np.testing.assert_array_equal(f.values, expected)


def test_to_dict_from_dict_round_trip_keeps_orphans(book):
    data = book.to_dict(KEYS)
    assert data["tags"][0] == {"name": "cats", "colour": "#ff0000", "clips": [KEYS[1], KEYS[2], KEYS[3]]}
    assert data["orphans"] == {"dogs": ["other:0:0"]}
    back = TagBook.from_dict(data, KEYS)
    assert snapshot(back) == snapshot(book)
    # Load into a dataset that holds only the first 4 clips: the others become orphans, and come back.
    small = TagBook.from_dict(data, KEYS[:4])
    assert small.members("dogs").tolist() == [2] and set(small.orphans["dogs"]) == {"other:0:0", KEYS[5], KEYS[19]}
    again = TagBook.from_dict(small.to_dict(KEYS[:4]), KEYS)
    assert snapshot(again)[0] == snapshot(book)[0] and again.orphans == {"dogs": ["other:0:0"]}
    with pytest.raises(TagError, match="one clip key per clip"):
        book.to_dict(KEYS[:3])


@pytest.mark.parametrize(
    "data, match",
    [
        ([], "expected form"),
        ({"tags": "x"}, "expected form"),
        ({"tags": [{"name": "a"}, {"name": "a"}]}, "twice"),
        ({"tags": [{"name": ""}]}, "some text"),
        ({"tags": [{"name": "a", "colour": "blue"}]}, "#rrggbb"),
        ({"tags": [{"name": "a", "clips": [1, 2]}]}, "list of clip keys"),
        ({"tags": [], "orphans": [1]}, "orphans"),
    ],
)
def test_from_dict_refuses_malformed_data(data, match):
    with pytest.raises(TagError, match=match):
        TagBook.from_dict(data, KEYS)


def test_saved_selections():
    sel = SavedSelections(20)
    events = []
    sel.changed.connect(lambda: events.append(1))
    sel.save("first few", [3, 1, 2])
    sel.save("end", np.array([19]))
    assert sel.names() == ["first few", "end"] and sel.get("first few").tolist() == [1, 2, 3] and len(events) == 2
    with pytest.raises(TagError, match="does not exist"):
        sel.save("bad", [20])
    with pytest.raises(TagError, match="no saved selection"):
        sel.get("bad")
    sel.orphans["end"] = ["elsewhere:1:1"]
    data = sel.to_dict(KEYS)
    back = SavedSelections.from_dict(data, KEYS, 20)
    assert back.names() == sel.names() and back.get("end").tolist() == [19] and back.orphans == sel.orphans
    part = SavedSelections.from_dict(data, KEYS[:10], 10)
    assert part.get("end").size == 0 and set(part.orphans["end"]) == {"elsewhere:1:1", KEYS[19]}
    sel.delete("end")
    assert sel.names() == ["first few"] and "end" not in sel.orphans
    with pytest.raises(TagError):
        SavedSelections.from_dict({"selections": 3}, KEYS, 20)


def test_suggestions_from_a_toy_labelled_set_are_accurate():
    from latentlab.core.synthetic_latents import structured_latents

    z, truth = structured_latents(600, 8, n_clusters=4, seed=3)
    book, stack = TagBook(600), UndoStack()
    rng = np.random.default_rng(0)
    for c in range(4):  # 8 labelled clips per class (~5 %)
        stack.push(tag_clips(book, {f"class {c}": rng.choice(np.flatnonzero(truth == c), 8, replace=False)}))
    clips, tags, conf = suggest_from_tags(book, z)
    assert clips.size == 600 - 32 and len(tags) == clips.size
    assert np.all(np.diff(conf) <= 0) and np.all((conf >= 0) & (conf <= 1))
    predicted = np.array([int(t.split()[1]) for t in tags])
    assert np.mean(predicted == truth[clips]) >= 0.9
    confident = conf >= 0.8  # the confident ones are right even more often
    assert confident.sum() > 100 and np.mean(predicted[confident] == truth[clips][confident]) >= 0.95
    scoped, _, _ = suggest_from_tags(book, z, scope=np.arange(10))
    assert set(scoped) == set(range(10)) - set(np.flatnonzero(book.field().values >= 0))
    assert suggest_from_tags(TagBook(600), z)[0].size == 0
