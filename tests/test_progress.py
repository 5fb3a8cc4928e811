"""Progress store: path, atomic writes, corruption recovery, two processes, export/import."""

from __future__ import annotations

import json
import multiprocessing
import os
import warnings
from pathlib import Path

import pytest

from course_utils.quiz import progress
from course_utils.quiz.progress import ProgressStore, ProgressWarning


@pytest.fixture
def store_path(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "learner" / "progress.json"
    monkeypatch.setenv("DVA_COURSE_PROGRESS", str(path))
    return path


def test_default_path_and_env_override(monkeypatch, tmp_path):
    monkeypatch.delenv("DVA_COURSE_PROGRESS", raising=False)
    assert progress.progress_path() == Path.home() / ".dva-c02-course" / "progress.json"
    monkeypatch.setenv("DVA_COURSE_PROGRESS", str(tmp_path / "p.json"))
    assert progress.progress_path() == tmp_path / "p.json"
    assert progress.get_store().path == tmp_path / "p.json"


def test_record_and_read_back(store_path):
    store = progress.get_store()
    assert not store_path.exists()
    store.record_answer("d1-a", ["B"], True)
    store.record_answer("d1-a", ["A"], False, source="exam")
    on_disk = json.loads(store_path.read_text())
    assert on_disk["version"] == 1
    assert [(r["chosen"], r["correct"], r["source"]) for r in on_disk["answers"]["d1-a"]] == [
        (["B"], True, "quiz"),
        (["A"], False, "exam"),
    ]
    assert len(ProgressStore(store_path).answers("d1-a")) == 2


def test_write_is_atomic_and_leaves_no_temp_files(store_path, monkeypatch):
    store = progress.get_store()
    store.record_answer("d1-a", ["B"], True)
    before = store_path.read_text()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(progress.json, "dump", boom)
    with pytest.raises(RuntimeError):
        store.record_answer("d1-b", ["C"], True)
    assert store_path.read_text() == before  # the old file is intact
    leftovers = [p.name for p in store_path.parent.iterdir() if p.name not in {"progress.json", "progress.json.lock"}]
    assert leftovers == []


@pytest.mark.parametrize("content", [b"{ not json", b"\xff\xfe garbage", b"[1, 2, 3]", b'{"version": 99}', b""])
def test_corrupt_file_is_backed_up_with_one_warning(store_path, content):
    store_path.parent.mkdir(parents=True)
    store_path.write_bytes(content)
    store = progress.get_store()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        store.record_answer("d1-a", ["B"], True)
        store.record_answer("d1-b", ["A"], False)
        store.read()
    ours = [w for w in caught if issubclass(w.category, ProgressWarning)]
    assert len(ours) == 1, [str(w.message) for w in caught]
    backups = sorted(store_path.parent.glob("progress.json.corrupt-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == content
    message = str(ours[0].message)
    assert str(backups[0]) in message and "fresh" in message
    data = store.read()
    assert set(data["answers"]) == {"d1-a", "d1-b"}  # the fresh store carried on


def test_two_corruptions_make_two_distinct_backups(store_path):
    store = progress.get_store()
    for _ in range(2):
        store_path.parent.mkdir(parents=True, exist_ok=True)
        store_path.write_text("oops")
        with pytest.warns(ProgressWarning):
            store.read()
    assert len(list(store_path.parent.glob("progress.json.corrupt-*"))) == 2


def _hammer(path: str, worker: int, count: int) -> None:
    store = ProgressStore(path)
    for i in range(count):
        store.record_answer(f"d1-w{worker}-{i}", ["A"], True)

        def bump(data):
            data.setdefault("counter", 0)
            data["counter"] += 1

        store.update(bump)


def test_two_processes_lose_no_update(tmp_path):
    path = tmp_path / "progress.json"
    count = 60
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_hammer, args=(str(path), w, count)) for w in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    data = ProgressStore(path).read()
    assert data["counter"] == 2 * count
    assert len(data["answers"]) == 2 * count


def test_export_import_merge_rules(tmp_path):
    a = ProgressStore(tmp_path / "a.json")
    b = ProgressStore(tmp_path / "b.json")
    a.record_answer("d1-x", ["A"], True, at="2024-01-01T00:00:00+00:00")
    b.record_answer("d1-x", ["A"], True, at="2024-01-01T00:00:00+00:00")  # the same record
    b.record_answer("d1-x", ["B"], False, at="2024-01-02T00:00:00+00:00")
    b.record_answer("d2-y", ["C"], True, at="2024-01-03T00:00:00+00:00")
    a.add_exam({"id": "exam-1", "finished": "2024-01-01T10:00:00+00:00", "scaled": 700})
    b.add_exam({"id": "exam-1", "finished": "2024-01-01T10:00:00+00:00", "scaled": 700})
    b.add_exam({"id": "exam-2", "finished": "2024-01-05T10:00:00+00:00", "scaled": 800})
    a.set_card_state("fc-d1-old", {"box": 3, "reviewed": "2024-01-04T00:00:00+00:00"})
    b.set_card_state("fc-d1-old", {"box": 1, "reviewed": "2024-01-02T00:00:00+00:00"})  # older: loses
    a.set_card_state("fc-d1-new", {"box": 1, "reviewed": "2024-01-01T00:00:00+00:00"})
    b.set_card_state("fc-d1-new", {"box": 4, "reviewed": "2024-01-06T00:00:00+00:00"})  # newer: wins

    exported = b.export(tmp_path / "download" / "progress-export.json")
    assert exported.exists()
    added = a.import_(exported)
    assert added == {"answers": 2, "exams": 1, "flashcards": 1, "drills": 0}
    data = a.read()
    assert [r["chosen"] for r in data["answers"]["d1-x"]] == [["A"], ["B"]]
    assert data["answers"]["d2-y"][0]["correct"] is True
    assert [e["id"] for e in data["exams"]] == ["exam-1", "exam-2"]
    assert data["flashcards"]["fc-d1-old"]["box"] == 3 and data["flashcards"]["fc-d1-new"]["box"] == 4
    assert a.import_(exported) == {"answers": 0, "exams": 0, "flashcards": 0, "drills": 0}  # idempotent


def test_module_level_export_import_use_the_env_store(store_path, tmp_path):
    progress.get_store().record_answer("d1-a", ["B"], True)
    out = progress.export_progress(tmp_path / "export.json")
    store_path.unlink()
    assert progress.import_progress(out)["answers"] == 1
    assert progress.get_store().answers("d1-a")[0]["chosen"] == ["B"]


def test_import_rejects_bad_files_and_changes_nothing(store_path, tmp_path):
    progress.get_store().record_answer("d1-a", ["B"], True)
    before = store_path.read_text()
    bad = tmp_path / "bad.json"
    bad.write_text("not json")
    with pytest.raises(ValueError, match="bad.json"):
        progress.import_progress(bad)
    bad.write_text(json.dumps({"hello": 1}))
    with pytest.raises(ValueError, match="not a progress file"):
        progress.import_progress(bad)
    assert store_path.read_text() == before


def test_lock_file_is_a_sidecar(store_path):
    store = progress.get_store()
    store.record_answer("d1-a", ["B"], True)
    assert store.lock_path == store_path.with_name("progress.json.lock") and store.lock_path.exists()
    assert os.path.getsize(store_path) > 0
