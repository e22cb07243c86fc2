"""One list of video extensions: ingest and the window's drops accept and refuse the same files."""

from latentlab.media.ingest import discover
from latentlab.media.video_formats import VIDEO_EXTENSIONS, is_video, refusal_message, split_videos


def test_every_video_extension_is_ingested_and_accepted_on_a_drop(tmp_path):
    files = []
    for ext in sorted(VIDEO_EXTENSIONS):
        f = tmp_path / f"clip{ext.upper()}"  # case does not matter
        f.write_bytes(b"")
        files.append(str(f))
    videos, skipped = discover(files)
    assert len(videos) == len(VIDEO_EXTENSIONS) and skipped == []
    assert split_videos(files) == (files, [])
    assert {".gif", ".flv"} <= VIDEO_EXTENSIONS


def test_other_files_are_refused_in_one_line_that_names_them():
    videos, refused = split_videos(["a/holiday.mp4", "a/notes.txt", "b/", "", "x.flv"])
    assert videos == ["a/holiday.mp4", "x.flv"] and refused == ["a/notes.txt", "b/", ""]
    assert not is_video("notes.txt") and is_video("X.GIF")
    one = refusal_message(["a/notes.txt"])
    assert one.startswith("not a video, left out: notes.txt (videos end in ") and "\n" not in one
    many = refusal_message([f"doc{i}.txt" for i in range(5)])
    assert many.startswith("not videos, left out: doc0.txt, doc1.txt, doc2.txt and 2 more")
    assert "a link that is not a local file" in refusal_message([""])
