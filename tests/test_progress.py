"""Progress store: path, atomic writes, corruption recovery, two processes, export/import, the move
from the old default location."""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
import threading
import time
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
    assert progress.progress_path() == Path.home() / ".dva-course" / "progress.json"
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


# --------------------------------------------------------------------------- the move from ~/.dva-c02-course
LEGACY_BYTES = json.dumps({"version": 1, "created": "2026-03-01T00:00:00+00:00", "exams": [], "flashcards": {},
                           "drills": {}, "answers": {"d1-a": [{"at": "2026-03-01T10:00:00+00:00", "chosen": ["B"],
                                                               "correct": True, "source": "quiz"}]}},
                          indent=1).encode("utf-8") + b"\n"  # fmt: skip


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A learner's home with the default location in use and the once-per-process flag reset."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: home))
    monkeypatch.delenv("DVA_COURSE_PROGRESS", raising=False)
    monkeypatch.setattr(progress, "_legacy_checked", False)
    return home


def _old(home: Path) -> Path:
    return home / ".dva-c02-course" / "progress.json"


def _new(home: Path) -> Path:
    return home / ".dva-course" / "progress.json"


def _legacy(home: Path, content: bytes = LEGACY_BYTES) -> Path:
    _old(home).parent.mkdir(parents=True, exist_ok=True)
    _old(home).write_bytes(content)
    return _old(home)


def test_legacy_file_is_moved_once_with_one_line(home, capsys):
    _legacy(home)
    assert progress.migrate_legacy_progress() == _new(home)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and str(_old(home)) in out and str(_new(home)) in out and "nothing was lost" in out
    assert _new(home).read_bytes() == LEGACY_BYTES  # the bytes as they were
    assert not _old(home).exists()
    assert progress.get_store().answers("d1-a")[0]["chosen"] == ["B"]  # the store reads the moved file
    # the second call (and any later store) does nothing and says nothing, even with a new old file
    _legacy(home, b"{}")
    assert progress.migrate_legacy_progress() is None
    progress.get_store()
    progress.ProgressStore()
    assert capsys.readouterr().out == ""
    assert _old(home).read_bytes() == b"{}" and _new(home).read_bytes() == LEGACY_BYTES


@pytest.mark.parametrize("make", [progress.get_store, progress.ProgressStore], ids=["get_store", "ProgressStore()"])
def test_the_first_store_of_a_process_moves_the_file(home, capsys, make):
    _legacy(home)
    store = make()
    assert store.path == _new(home) and store.path.read_bytes() == LEGACY_BYTES and not _old(home).exists()
    assert "nothing was lost" in capsys.readouterr().out


def test_a_store_with_an_explicit_path_does_not_move_anything(home, capsys):
    _legacy(home)
    ProgressStore(_new(home)).read()
    assert _old(home).read_bytes() == LEGACY_BYTES and not _new(home).exists()
    assert capsys.readouterr().out == ""


def test_nothing_to_move_creates_nothing_and_prints_nothing(home, capsys):
    assert progress.migrate_legacy_progress() is None
    assert list(home.iterdir()) == [] and capsys.readouterr().out == ""


def test_both_present_touches_neither_and_says_how_to_merge(home, capsys):
    _legacy(home)
    _new(home).parent.mkdir()
    _new(home).write_bytes(b'{"version": 1, "answers": {}}')
    assert progress.migrate_legacy_progress() is None
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and str(_old(home)) in out and f"quiz.import_progress({str(_old(home))!r})" in out
    assert _old(home).read_bytes() == LEGACY_BYTES and _new(home).read_bytes() == b'{"version": 1, "answers": {}}'
    assert progress.migrate_legacy_progress() is None and capsys.readouterr().out == ""  # once per process
    # the hint's advice works: the old answers merge in
    assert progress.import_progress(_old(home))["answers"] == 1


def test_env_var_set_touches_nothing(home, tmp_path, monkeypatch, capsys):
    _legacy(home)
    monkeypatch.setenv("DVA_COURSE_PROGRESS", str(tmp_path / "elsewhere.json"))
    assert progress.migrate_legacy_progress() is None
    progress.get_store().record_answer("d1-z", ["A"], True)
    assert _old(home).read_bytes() == LEGACY_BYTES and not _new(home).parent.exists()
    assert capsys.readouterr().out == ""


def test_a_corrupt_legacy_file_is_moved_then_backed_up_at_the_new_place(home, capsys):
    garbage = b"\xff{ half a progress file"
    _legacy(home, garbage)
    store = progress.get_store()
    assert not _old(home).exists() and _new(home).read_bytes() == garbage
    assert "nothing was lost" in capsys.readouterr().out
    with pytest.warns(ProgressWarning) as caught:
        assert store.read()["answers"] == {}
    backups = list(_new(home).parent.glob("progress.json.corrupt-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == garbage
    assert str(backups[0]) in str(caught[0].message)


@pytest.mark.parametrize("failure", [errno.EPERM, errno.EXDEV], ids=["no-hard-links", "other-device"])
def test_move_without_hard_links(home, monkeypatch, capsys, failure):
    def no_link(*args, **kwargs):
        raise OSError(failure, os.strerror(failure))

    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):
        if failure == errno.EXDEV and Path(src) == _old(home):
            raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(progress.os, "link", no_link)
    monkeypatch.setattr(progress.os, "replace", replace)
    _legacy(home)
    assert progress.migrate_legacy_progress() == _new(home)
    assert _new(home).read_bytes() == LEGACY_BYTES and not _old(home).exists()
    assert "nothing was lost" in capsys.readouterr().out
    # and the fallback never overwrites: with both present, neither changes
    _legacy(home, b"old")
    monkeypatch.setattr(progress, "_legacy_checked", False)
    assert progress.migrate_legacy_progress() is None
    assert _old(home).read_bytes() == b"old" and _new(home).read_bytes() == LEGACY_BYTES
    assert "import_progress" in capsys.readouterr().out


def test_racing_threads_move_once_without_the_lock(home):
    """The link/unlink move itself is race-safe (no lock, no once-per-process flag): one winner."""
    _legacy(home)
    _new(home).parent.mkdir()
    workers = 8
    barrier = threading.Barrier(workers)
    outcomes, errors = [], []

    def move():
        try:
            barrier.wait(5)
            outcomes.append(progress._move_file(_old(home), _new(home)))
        except BaseException as exc:  # noqa: BLE001 - any exception fails the test below
            errors.append(exc)

    threads = [threading.Thread(target=move) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == []
    assert sorted(outcomes) == ["moved"] + ["none"] * (workers - 1)
    assert os.listdir(_new(home).parent) == ["progress.json"] and _new(home).read_bytes() == LEGACY_BYTES
    assert not _old(home).exists()


def _migrate_in_child(start_at: float, results) -> None:
    time.sleep(max(0.0, start_at - time.time()))
    moved = progress.migrate_legacy_progress()
    results.put(str(moved) if moved else None)


def test_two_kernels_starting_at_once_move_it_once(home, capfd):
    _legacy(home)
    ctx = multiprocessing.get_context("spawn")  # the children inherit HOME and the unset DVA_COURSE_PROGRESS
    results = ctx.Queue()
    start_at = time.time() + 1.5  # after both have imported the module
    children = [ctx.Process(target=_migrate_in_child, args=(start_at, results)) for _ in range(2)]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
        assert child.exitcode == 0  # no exception in either
    returned = [results.get(timeout=5), results.get(timeout=5)]
    assert returned.count(str(_new(home))) == 1 and returned.count(None) == 1
    assert sorted(p.name for p in _new(home).parent.iterdir() if p.name != "progress.json.lock") == ["progress.json"]
    assert _new(home).read_bytes() == LEGACY_BYTES and not _old(home).exists()
    out = capfd.readouterr().out
    assert out.count("nothing was lost") == 1 and "import_progress" not in out  # the loser says nothing


# --------------------------------------------------------------------------- keys added for issue 21
def test_a_file_without_the_new_keys_reads_and_keeps_what_it_had(store_path):
    store_path.parent.mkdir(parents=True)
    store_path.write_bytes(LEGACY_BYTES)  # no miss_cards, no learner_seed
    store = progress.get_store()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ProgressWarning)  # not treated as damaged
        assert store.read()["miss_cards"] == {}
        seed = store.learner_seed()
    assert seed == store.learner_seed() and json.loads(store_path.read_text())["learner_seed"] == seed
    assert store.answers("d1-a")[0]["chosen"] == ["B"]


def test_learner_seed_comes_from_the_creation_time(tmp_path):
    a, b = ProgressStore(tmp_path / "a.json"), ProgressStore(tmp_path / "b.json")
    for store, created in ((a, "2026-12-01T00:00:00+00:00"), (b, "2026-12-01T00:00:01+00:00")):
        store.update(lambda d, c=created: d.__setitem__("created", c))
    assert a.learner_seed() != b.learner_seed()
    c = ProgressStore(tmp_path / "c.json")
    c.update(lambda d: d.__setitem__("created", "2026-12-01T00:00:00+00:00"))
    assert c.learner_seed() == a.learner_seed()


def test_merge_a_card_made_due_by_a_miss_counts_as_its_latest_change(tmp_path):
    a, b = ProgressStore(tmp_path / "a.json"), ProgressStore(tmp_path / "b.json")
    a.set_card_state("fc-d1-x", {"box": 3, "due": "2026-12-10T00:00:00+00:00", "reviewed": "2026-12-01T00:00:00+00:00"})
    b.set_card_state("fc-d1-x", {"box": 3, "due": "2026-12-02T00:00:00+00:00", "reviewed": "2026-12-01T00:00:00+00:00",
                                 "missed_at": "2026-12-02T00:00:00+00:00", "missed_by": ["d1-q"]})
    b.update(lambda d: d["miss_cards"].__setitem__("fc-d1-miss-q", {"front": "f", "back": "b", "skills": ["1.1.01"]}))
    b.set_card_state("fc-d1-never", {"box": 1, "due": "2026-12-02T00:00:00+00:00", "reviewed": None,
                                     "missed_at": "2026-12-02T00:00:00+00:00"})
    assert a.import_(b.export(tmp_path / "e.json")) == {"answers": 0, "exams": 0, "flashcards": 3, "drills": 0}
    data = a.read()
    assert data["flashcards"]["fc-d1-x"]["missed_by"] == ["d1-q"] and "fc-d1-miss-q" in data["miss_cards"]
    assert b.import_(a.export(tmp_path / "e2.json"))["flashcards"] == 0  # and back: nothing newer
