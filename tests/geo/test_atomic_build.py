"""The published dataset is switched whole: killed builds, unchanged builds, removals and I/O errors."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import geo
from geo import cli, pipeline
from geo.dataset import MANIFEST, DatasetError, load_dataset, read_dataset, write_dataset
from tests.conftest import DATA_DIR, MINI_SOURCES, REPO

FAULTY_BUILD = Path(__file__).with_name("faulty_build.py")
DATA_ENTRIES = ["boundaries", "geojson", "sources"]  # a data directory with nothing left over


@pytest.fixture()
def data_dir(tmp_path) -> Path:
    """The mini sources, built once, then edited: the next build has a new version to publish."""
    root = tmp_path / "data"
    shutil.copytree(MINI_SOURCES / "sources", root / "sources")
    (root / "boundaries").mkdir()
    shutil.copy(DATA_DIR / "boundaries" / "gba_admin.geojson", root / "boundaries")
    geo.build(root)
    edit(root, "agencies", lambda rows: rows[0].update(name_en="Renamed"))
    return root


def edit(data_dir: Path, table: str, change) -> None:
    path = data_dir / "sources" / f"{table}.yaml"
    records = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(records)
    path.write_text(yaml.safe_dump(records, allow_unicode=True, sort_keys=False), encoding="utf-8")


def faulty_build(
    fault: str, at: int | str, data_dir: Path, *args: str, cache: Path | None = None
) -> tuple[subprocess.CompletedProcess, int | None]:
    """``python -m geo build`` with the fault at file system call ``at``; the calls made if it ended by itself."""
    count = data_dir.parent / "calls"
    count.unlink(missing_ok=True)
    options = [str(cache)] if cache else []
    geo_args = ["--data-dir", str(data_dir), "-q", "build", *args]
    result = subprocess.run(
        [sys.executable, str(FAULTY_BUILD), fault, str(at), str(count), *options, "--", *geo_args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
    )
    return result, int(count.read_text()) if count.exists() else None


def snapshot(data_dir: Path) -> dict[str, tuple[int, int, bytes]]:
    """The data directory's entries, and every entry of the dataset: inode, mtime and content."""
    directory = data_dir / "geojson"
    entries = {"data": (0, 0, "\n".join(sorted(p.name for p in data_dir.iterdir())).encode())}
    for path in [directory, *sorted(directory.rglob("*"))]:
        stat = path.stat()
        body = path.read_bytes() if path.is_file() else b""
        entries[str(path.relative_to(directory))] = (stat.st_ino, stat.st_mtime_ns, body)
    return entries


def served_version(data_dir: Path, capsys) -> str:
    """The version the app would serve, after checking it the way the app and `geo validate` do."""
    dataset = load_dataset(data_dir / "geojson")  # the app's reader: raises on anything damaged
    assert cli.main(["validate", str(data_dir / "geojson")]) == 0, capsys.readouterr().err
    capsys.readouterr()
    return dataset.version


def test_a_build_killed_at_any_point_publishes_the_old_dataset_or_the_new_one(data_dir, capsys, monkeypatch):
    old = read_dataset(data_dir / "geojson")
    cache = data_dir.parent / "compiled.pickle"
    new_dir = data_dir.parent / "reference"
    shutil.copytree(data_dir / "sources", new_dir / "sources")
    shutil.copytree(data_dir / "boundaries", new_dir / "boundaries")
    finished, calls = faulty_build("kill", 0, new_dir, cache=cache)
    assert finished.returncode == 0, finished.stderr
    new = read_dataset(new_dir / "geojson")
    assert new.version != old.version and calls > 2 * len(new.files)
    compiled = pickle.loads(cache.read_bytes())  # noqa: S301 -- written by this test's own build
    monkeypatch.setattr(pipeline, "compile_data", lambda *args, **kwargs: compiled)
    seen = []
    for at in range(1, calls + 1):
        killed, _ = faulty_build("kill", at, data_dir, cache=cache)
        assert killed.returncode == -9, (at, killed.stderr)
        version = served_version(data_dir, capsys)
        assert version in (old.version, new.version), at
        assert read_dataset(data_dir / "geojson").files == (old if version == old.version else new).files
        seen.append(version)
        # The next build removes what the killed one left and publishes the new version.
        geo.build(data_dir)
        assert sorted(p.name for p in data_dir.iterdir()) == DATA_ENTRIES, at
        assert served_version(data_dir, capsys) == new.version
        write_dataset(data_dir / "geojson", old.files)  # back to the old version for the next kill
    # Killed before the switch, the old version stays; after it, the new one is whole.
    assert seen[0] == old.version and seen[-1] == new.version
    assert seen == sorted(seen, key=lambda v: v == new.version)


def test_a_killed_build_leaves_temporary_directories_that_the_next_build_removes(data_dir):
    killed, _ = faulty_build("kill", 5, data_dir)
    assert killed.returncode == -9
    left = sorted(p.name for p in data_dir.iterdir() if p.name not in DATA_ENTRIES)
    assert left and all(name.startswith(".geojson.new-") for name in left)
    assert subprocess.run(["git", "check-ignore", "-q", f"data/{left[0]}/"], cwd=REPO).returncode == 0
    finished, _ = faulty_build("kill", 0, data_dir)
    assert finished.returncode == 0, finished.stderr
    assert sorted(p.name for p in data_dir.iterdir()) == DATA_ENTRIES


def test_an_unchanged_build_writes_nothing(data_dir, monkeypatch, capsys):
    geo.build(data_dir)
    before = snapshot(data_dir)

    def no_writing(*args, **kwargs):
        raise AssertionError(f"an unchanged build tried to write: {args}")

    # As on a read-only checkout (root ignores permissions, so every write is refused instead).
    for name in ("write", "mkdir", "rename", "replace", "unlink", "rmdir"):
        monkeypatch.setattr(os, name, no_writing)
    monkeypatch.setattr("geo.dataset._renameat2_exchange", no_writing)
    assert cli.main(["--data-dir", str(data_dir), "-q", "build"]) == 0
    assert "data is up to date" in capsys.readouterr().err
    monkeypatch.undo()
    assert snapshot(data_dir) == before


@pytest.fixture()
def make_read_only(request):
    """Make a directory and everything in it immutable (``chattr +i``: refused even to root, as tests run)."""

    def make(directory: Path) -> None:
        paths = [str(p) for p in (directory, *directory.rglob("*"))]
        subprocess.run(["chattr", "+i", *paths], check=True)
        request.addfinalizer(lambda: subprocess.run(["chattr", "-i", *paths], check=True))

    return make


def test_an_unchanged_build_succeeds_on_a_read_only_checkout(data_dir, make_read_only):
    geo.build(data_dir)
    make_read_only(data_dir)
    before = snapshot(data_dir)
    result, _ = faulty_build("kill", 0, data_dir)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "data is up to date\n"
    assert snapshot(data_dir) == before


def test_a_read_only_data_directory_is_one_line_and_leaves_the_dataset_intact(data_dir, make_read_only):
    make_read_only(data_dir)
    before = snapshot(data_dir)
    result, _ = faulty_build("kill", 0, data_dir)
    assert result.returncode == 1
    assert result.stderr == f"error: {data_dir / 'geojson'}: cannot write: Operation not permitted\n"
    assert snapshot(data_dir) == before


def test_removing_most_of_a_layer_needs_the_flag(data_dir):
    before = snapshot(data_dir)
    edit(data_dir, "links", lambda rows: rows.pop())
    refused, _ = faulty_build("kill", 0, data_dir)
    assert refused.returncode == 1
    assert (
        "links.geojson: the build would remove 1 of the 2 published links records (more than 20%): check the "
        "sources, or confirm with `python -m geo build --allow-removals`"
    ) in refused.stderr
    assert "no file was changed" in refused.stderr and "Traceback" not in refused.stderr
    assert snapshot(data_dir) == before
    allowed, _ = faulty_build("kill", 0, data_dir, "--allow-removals")
    assert allowed.returncode == 0, allowed.stderr
    assert read_dataset(data_dir / "geojson").manifest["files"]["links.geojson"]["features"] == 1


def test_emptying_a_layer_needs_the_flag(data_dir):
    # An empty table is refused by the sources' own rule; a layer meant to be empty says why...
    (data_dir / "sources" / "links.yaml").write_text("no_records: the links are being re-sourced\n", encoding="utf-8")
    # ...and still needs the flag, since it removes every published record.
    with pytest.raises(geo.PipelineError, match="remove 2 of the 2 published links records"):
        geo.build(data_dir)
    geo.build(data_dir, allow_removals=True)
    assert read_dataset(data_dir / "geojson").manifest["files"]["links.geojson"]["features"] == 0


@pytest.mark.parametrize(
    ("fault", "at", "message"),
    [
        ("ENOSPC", "7", "cannot write: No space left on device"),  # writing a file
        ("EROFS", "1", "cannot write: Read-only file system"),  # making the new directory
        ("EACCES", "exchange", "cannot write: Permission denied"),  # the switch
    ],
)
def test_io_errors_are_one_line_and_leave_the_dataset_intact(data_dir, fault, message, at):
    before = snapshot(data_dir)
    result, _ = faulty_build(fault, at, data_dir)
    assert result.returncode == 1
    assert result.stderr == f"error: {data_dir / 'geojson'}: {message}\n"
    assert snapshot(data_dir) == before


def test_a_missing_output_directory_is_one_line(data_dir, tmp_path):
    out = tmp_path / "nowhere" / "geojson"
    result, _ = faulty_build("kill", 0, data_dir, "--out-dir", str(out))
    assert result.returncode == 1
    assert result.stderr == f"error: {out}: cannot write: No such file or directory\n"


def test_reading_a_dataset_names_the_file_and_the_problem(data_dir):
    directory = data_dir / "geojson"
    (directory / "zones.geojson").write_text("{}", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"zones\.geojson: truncated: 2 bytes, the manifest lists \d+"):
        read_dataset(directory)
    (directory / MANIFEST).unlink()
    with pytest.raises(DatasetError, match=r"manifest\.json: the manifest is missing: run `python -m geo build`"):
        read_dataset(directory)


def test_the_shipped_dataset_has_a_manifest_that_matches_its_files():
    dataset = load_dataset(DATA_DIR / "geojson")
    assert set(dataset.files) == {
        str(p.relative_to(DATA_DIR / "geojson")) for p in (DATA_DIR / "geojson").rglob("*.geojson")
    }
    counts = {path: entry["features"] for path, entry in dataset.manifest["files"].items()}
    assert counts["links.geojson"] == len(geo.compile_data(DATA_DIR)[0].layers["links"]["features"])


def test_a_read_during_a_swap_returns_one_whole_version(data_dir, monkeypatch):
    directory = data_dir / "geojson"
    old = read_dataset(directory)
    new_files = {**old.files, "links.geojson": old.files["links.geojson"].replace(b"Pingshan", b"Pingshen")}
    from geo import dataset as dataset_module

    read_at = dataset_module._read_at
    swapped = []

    def swap_after_the_manifest(dir_fd, path):
        body = read_at(dir_fd, path)
        if path == MANIFEST and not swapped:
            swapped.append(path)
            write_dataset(directory, new_files)  # a build publishes mid-read
        return body

    monkeypatch.setattr(dataset_module, "_read_at", swap_after_the_manifest)
    during = read_dataset(directory)
    assert swapped and during.files in (old.files, new_files)
    monkeypatch.undo()
    assert read_dataset(directory).files == new_files
