"""The published dataset: one directory of built files, described by its manifest, switched whole.

``DATA_DIR/geojson/`` holds the layer files, ``context/*.geojson`` and ``manifest.json``::

    {"version": "<content hash>",
     "files": {"<relative path>": {"sha256": "...", "bytes": 1234, "features": 56}, ...}}

The manifest is deterministic (sorted, no timestamps): the same files give the same
bytes, so a rebuild from unchanged sources is byte-identical and git stays quiet.

Writers go through ``write_dataset``: it writes a complete new directory beside the
published one (``.geojson.new-XXXX``), fsyncs and verifies it, then swaps the two
directory entries with one ``renameat2(RENAME_EXCHANGE)``.  A reader, or a build
killed at any instant, sees the old dataset or the new one, never a mix.  Readers go
through ``read_dataset``: it opens the directory once and reads every file through
that handle, so a swap in the middle of a read cannot mix versions either, and checks
every file against the manifest.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from geo import io
from geo.problems import Problem
from geo.schema import LAYERS
from geo.validate import check_collections

MANIFEST = "manifest.json"
# A rebuild that would drop more than this share of a layer's records (or all of them)
# is refused unless asked for with ``--allow-removals``: an emptied or truncated source
# table must not silently unpublish records.
MAX_REMOVED_SHARE = 0.20
NEW_INFIX = ".new-"  # .geojson.new-XXXX: a dataset being written
OLD_INFIX = ".old-"  # .geojson.old-XXXX: the replaced dataset, only with the two-rename fallback
READ_ATTEMPTS = 3  # a read that overlaps a swap is retried on the freshly published directory

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


class DatasetError(Exception):
    """A dataset that cannot be read or written: which file, and what is wrong with it."""

    def __init__(self, file: str, problem: str):
        self.file = file
        self.problem = problem
        super().__init__(f"{file}: {problem}")


@dataclass
class Dataset:
    """One consistent version of the published files, checked against its manifest."""

    directory: Path
    version: str
    manifest: dict
    # Every listed file's bytes, by relative path (``hospitals.geojson``, ``context/x.geojson``).
    files: dict[str, bytes] = field(repr=False)
    # The parsed layer collections, by layer: filled by ``load_dataset`` once they validated.
    collections: dict[str, dict] = field(default_factory=dict, repr=False)

    def layer_files(self) -> dict[str, str]:
        """Layer name -> relative path, for the feature layers present, in schema order."""
        return {layer: f"{layer}.geojson" for layer in LAYERS if f"{layer}.geojson" in self.files}

    def context_files(self) -> dict[str, str]:
        """Context name (file stem) -> relative path, sorted."""
        return {
            Path(path).stem: path
            for path in sorted(self.files)
            if path.startswith("context/") and path.endswith(".geojson")
        }

    def sha256(self, path: str) -> str:
        return self.manifest["files"][path]["sha256"]

    def context_layers(self) -> dict[str, tuple[bytes, str]]:
        """The display-only context collections (jurisdiction outlines): name -> (bytes, ETag from the manifest)."""
        return {name: (self.files[path], self.sha256(path)[:24]) for name, path in self.context_files().items()}


# -- the manifest -----------------------------------------------------------


def _feature_count(path: str, body: bytes) -> int:
    """The number of features of a GeoJSON FeatureCollection, or a ``DatasetError``."""
    try:
        collection = json.loads(body)
    except UnicodeDecodeError:
        raise DatasetError(path, "not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        # A collection is an object: a file that stops before its closing brace was cut short.
        where = "truncated" if not body.rstrip().endswith(b"}") else f"line {exc.lineno}"
        raise DatasetError(path, f"not valid JSON ({where}: {exc.msg})") from None
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise DatasetError(path, "not a GeoJSON FeatureCollection")
    if not isinstance(collection.get("features"), list):
        raise DatasetError(path, "'features' is not a list")
    return len(collection["features"])


def make_manifest(files: Mapping[str, bytes]) -> dict:
    """The manifest of ``files`` (relative path -> bytes); raises ``DatasetError`` on a file that is not GeoJSON."""
    entries = {
        path: {
            "sha256": hashlib.sha256(body).hexdigest(),
            "bytes": len(body),
            "features": _feature_count(path, body),
        }
        for path, body in sorted(files.items())
    }
    version = hashlib.sha256(io.dumps(entries, compact=True).encode()).hexdigest()[:16]
    return {"version": version, "files": entries}


def _encode(texts: Mapping[str, str | bytes]) -> dict[str, bytes]:
    files = {}
    for path, text in texts.items():
        parts = Path(path).parts
        if Path(path).is_absolute() or ".." in parts or path == MANIFEST or not path.endswith(".geojson"):
            raise ValueError(f"{path!r} is not a dataset file (a relative *.geojson path)")
        files[Path(path).as_posix()] = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    return files


# -- reading ----------------------------------------------------------------


def _read_at(dir_fd: int, path: str) -> bytes:
    fd = os.open(path, os.O_RDONLY, dir_fd=dir_fd)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _listed_files(dir_fd: int) -> set[str]:
    """Every ``*.geojson`` in the directory and its ``context/`` folder, as relative paths."""
    found = {name for name in os.listdir(dir_fd) if name.endswith(".geojson")}
    try:
        context_fd = os.open("context", os.O_RDONLY | os.O_DIRECTORY, dir_fd=dir_fd)
    except FileNotFoundError:
        return found
    try:
        found |= {f"context/{name}" for name in os.listdir(context_fd) if name.endswith(".geojson")}
    finally:
        os.close(context_fd)
    return found


def open_directory(directory: Path) -> int:
    """A descriptor of the dataset directory (reads through it see one version, whatever a build swaps)."""
    try:
        return os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        raise DatasetError(str(directory), "the dataset directory does not exist: run `python -m geo build`") from None
    except NotADirectoryError:
        raise DatasetError(str(directory), "is not a directory") from None


def _read_once(directory: Path) -> Dataset:
    shown = str(directory)
    dir_fd = open_directory(directory)
    try:
        try:
            raw = _read_at(dir_fd, MANIFEST)
        except FileNotFoundError:
            raise DatasetError(f"{shown}/{MANIFEST}", "the manifest is missing: run `python -m geo build`") from None
        manifest = _parse_manifest(f"{shown}/{MANIFEST}", raw)
        files = {}
        for path, entry in manifest["files"].items():
            where = f"{shown}/{path}"
            try:
                body = _read_at(dir_fd, path)
            except FileNotFoundError:
                raise DatasetError(where, "listed in the manifest but missing") from None
            if len(body) != entry["bytes"]:
                what = "truncated" if len(body) < entry["bytes"] else "longer than listed"
                raise DatasetError(where, f"{what}: {len(body)} bytes, the manifest lists {entry['bytes']}")
            if hashlib.sha256(body).hexdigest() != entry["sha256"]:
                raise DatasetError(where, "does not match its sha256 in the manifest (changed after the build)")
            files[path] = body
        unlisted = sorted(_listed_files(dir_fd) - set(files))
        if unlisted:
            raise DatasetError(f"{shown}/{unlisted[0]}", "present but not listed in the manifest")
    finally:
        os.close(dir_fd)
    return Dataset(directory, manifest["version"], manifest, files)


def _parse_manifest(where: str, raw: bytes) -> dict:
    try:
        manifest = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DatasetError(where, f"the manifest is not valid JSON ({exc})") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or not isinstance(manifest.get("version"), str):
        raise DatasetError(where, "the manifest needs 'version' and 'files'")
    for path, entry in files.items():
        parts = Path(path).parts
        if Path(path).is_absolute() or ".." in parts or not path.endswith(".geojson"):
            raise DatasetError(where, f"lists {path!r}, which is not a relative *.geojson path")
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("sha256"), str)
            or not isinstance(entry.get("bytes"), int)
            or not isinstance(entry.get("features"), int)
        ):
            raise DatasetError(where, f"the entry of {path!r} needs sha256, bytes and features")
    return manifest


def read_dataset(directory: str | Path) -> Dataset:
    """Read one consistent version of the dataset in ``directory`` (``DATA_DIR/geojson``).

    Every file the manifest lists is read through one directory handle and checked
    against its size and sha256; files the manifest does not list are an error.  A
    read that overlaps a build's swap is retried; the last failure is raised as a
    ``DatasetError`` naming the file and the problem.  Whether each file is valid
    GeoJSON of its layer is ``validate_dataset``'s business.
    """
    directory = Path(directory)
    for attempt in range(READ_ATTEMPTS):
        before = _inode(directory)
        try:
            return _read_once(directory)
        except DatasetError:
            # Retry only if a build switched the directory meanwhile; damage is reported at once.
            if attempt == READ_ATTEMPTS - 1 or _inode(directory) == before:
                raise
    raise AssertionError("unreachable")


def _inode(directory: Path) -> int | None:
    try:
        return os.stat(directory).st_ino
    except OSError:
        return None


def validate_dataset(dataset: Dataset) -> tuple[dict[str, dict], list[Problem]]:
    """Parse and check every file: the checks of ``python -m geo validate FILES``, plus the context files.

    Returns the parsed layer collections (by layer) and the problems found.
    """
    problems: list[Problem] = []
    collections: dict[str, object] = {}
    files: dict[str, str] = {}
    for layer, path in dataset.layer_files().items():
        where = str(dataset.directory / path)
        try:
            collections[layer] = json.loads(dataset.files[path])
            files[layer] = where
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            problems.append(Problem(where, None, f"not valid JSON: {exc}"))
    for path in dataset.context_files().values():
        where = str(dataset.directory / path)
        try:
            _feature_count(where, dataset.files[path])
        except DatasetError as exc:
            problems.append(Problem(where, None, exc.problem))
    problems.extend(check_collections(collections, files))
    known = {*dataset.layer_files().values(), *dataset.context_files().values()}
    for path in sorted(set(dataset.files) - known):
        problems.append(Problem(str(dataset.directory / path), None, "not a layer of geo.schema nor a context file"))
    return collections, problems


def load_dataset(directory: str | Path) -> Dataset:
    """Read and validate the dataset, as the app does at start-up (its collections parsed).

    Raises ``DatasetError`` naming the file and the first problem (and how many more
    ``python -m geo validate DIRECTORY`` would list).
    """
    dataset = read_dataset(directory)
    collections, problems = validate_dataset(dataset)
    if problems:
        first = problems[0]
        where = first.file if first.line is None else f"{first.file}:{first.line}"
        message = f"[{first.record_id}] {first.message}" if first.record_id else first.message
        if len(problems) > 1:
            message += f" (and {len(problems) - 1} more: run `python -m geo validate {directory}`)"
        raise DatasetError(where, message)
    dataset.collections = collections
    return dataset


# -- comparing --------------------------------------------------------------


def current_manifest(directory: str | Path) -> dict | None:
    """The manifest of the published dataset when it reads back intact, else None."""
    try:
        return read_dataset(directory).manifest
    except DatasetError:
        return None


def changed_files(directory: str | Path, texts: Mapping[str, str | bytes]) -> list[str]:
    """The relative paths that differ between the published dataset and ``texts`` (added, changed, removed).

    A dataset that does not read back intact differs in every file.
    """
    files = _encode(texts)
    entries = {path: hashlib.sha256(body).hexdigest() for path, body in files.items()}
    current = current_manifest(directory)
    if current is None:
        return sorted(files)
    old = {path: entry["sha256"] for path, entry in current["files"].items()}
    return sorted(path for path in entries.keys() | old.keys() if entries.get(path) != old.get(path))


def removals(directory: str | Path, texts: Mapping[str, str | bytes]) -> list[Problem]:
    """Layers that would lose more than ``MAX_REMOVED_SHARE`` of their records (or all of them)."""
    try:
        current = read_dataset(directory)
    except DatasetError:
        return []  # nothing intact is published: there is nothing to lose
    new_files = _encode(texts)
    problems = []
    for layer, path in current.layer_files().items():
        old_ids = _ids(current.files[path])
        if not old_ids:
            continue
        new_ids = _ids(new_files[path]) if path in new_files else set()
        removed = len(old_ids - new_ids)
        if removed and (removed == len(old_ids) or removed / len(old_ids) > MAX_REMOVED_SHARE):
            problems.append(
                Problem(
                    str(Path(directory) / path),
                    None,
                    f"the build would remove {removed} of the {len(old_ids)} published {layer} records "
                    f"(more than {MAX_REMOVED_SHARE:.0%}): check the sources, or confirm with "
                    "`python -m geo build --allow-removals`",
                )
            )
    return problems


def _ids(body: bytes) -> set[str]:
    collection = json.loads(body)
    return {
        str((feature.get("properties") or {}).get("id", feature.get("id")))
        for feature in collection.get("features") or []
        if isinstance(feature, dict)
    }


# -- writing ----------------------------------------------------------------


def _renameat2_exchange(a: str, b: str) -> None:
    """Swap two directory entries atomically (Linux ``renameat2(RENAME_EXCHANGE)``)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    try:
        call = libc.renameat2
    except AttributeError:
        raise OSError(errno.ENOSYS, "renameat2 is not available") from None
    call.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if call(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), a, None, b)


def _fsync_dir(path: str | Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: Path, body: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        view = memoryview(body)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def _leftovers(directory: Path) -> tuple[list[Path], list[Path]]:
    """The unfinished (``.new-*``) and replaced (``.old-*``) datasets beside ``directory``."""
    parent = directory.parent
    if not parent.is_dir():
        return [], []
    return (
        sorted(parent.glob(f".{directory.name}{NEW_INFIX}*")),
        sorted(parent.glob(f".{directory.name}{OLD_INFIX}*")),
    )


def _remove_leftovers(directory: Path) -> list[Path]:
    news, olds = _leftovers(directory)
    if not os.path.lexists(directory) and olds:
        # The two-rename fallback was killed between its renames: put the old dataset back.
        os.rename(olds[-1], directory)
        olds = olds[:-1]
    for stale in (*news, *olds):
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale)
        else:
            stale.unlink()
    return [*news, *olds]


@contextmanager
def _writer_lock(directory: Path):
    """One writer at a time per dataset: an exclusive lock on the parent directory itself."""
    try:
        fd = os.open(directory.parent, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise DatasetError(str(directory), f"cannot write: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DatasetError(str(directory), "cannot write: another build is writing it") from None
        yield
    finally:
        os.close(fd)


def remove_stale(directory: str | Path) -> list[Path]:
    """Remove what killed builds left beside ``directory`` (and return it); touch nothing if there is none.

    A ``.geojson.new-*`` is an unfinished dataset (never published), a ``.geojson.old-*``
    a replaced one.  If ``directory`` itself is missing (the two-rename fallback killed
    between its renames) the replaced dataset is put back.
    """
    directory = Path(directory)
    if not any(_leftovers(directory)):
        return []
    with _writer_lock(directory):
        try:
            return _remove_leftovers(directory)
        except OSError as exc:
            raise DatasetError(str(directory), f"cannot remove a killed build's files: {exc.strerror}") from None


def _swap_in(new: Path, directory: Path) -> Path | None:
    """Publish ``new`` at ``directory``; return where the replaced dataset now is (or None)."""
    if not os.path.lexists(directory):
        os.rename(new, directory)
        return None
    try:
        _renameat2_exchange(str(new), str(directory))
        return new
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
            raise
    # The kernel or file system cannot exchange (not Linux >= 3.15, or e.g. some network
    # file systems): two renames, with a moment in which ``directory`` is missing.  Readers
    # retry; a build killed in between is repaired by ``remove_stale`` on the next run.
    old = Path(tempfile.mkdtemp(prefix=f".{directory.name}{OLD_INFIX}", dir=directory.parent))
    os.rmdir(old)
    os.rename(directory, old)
    os.rename(new, directory)
    return old


def write_dataset(directory: str | Path, texts: Mapping[str, str | bytes]) -> list[Path]:
    """Publish ``texts`` (relative path -> content) as the whole dataset at ``directory``.

    Writes a new directory beside it with every file and the manifest, fsyncs and
    verifies it, then swaps it in with one atomic exchange and removes the replaced
    one.  Returns the published files' paths.  On any error nothing is published,
    nothing of the attempt is left behind, and a ``DatasetError`` says what failed
    (``<directory>: cannot write: <reason>``).  Only one writer at a time: a second
    concurrent one fails rather than wait.
    """
    directory = Path(directory)
    files = _encode(texts)
    manifest = make_manifest(files)
    shown = str(directory)
    new: Path | None = None
    with _writer_lock(directory):
        try:
            _remove_leftovers(directory)
            new = Path(tempfile.mkdtemp(prefix=f".{directory.name}{NEW_INFIX}", dir=directory.parent))
            os.chmod(new, 0o755)  # noqa: S103 -- published data is world-readable, like the files in it
            subdirs = sorted({new / Path(path).parent for path in files} - {new})
            for subdir in subdirs:
                subdir.mkdir(parents=True, exist_ok=True)
            for path, body in sorted(files.items()):
                _write_file(new / path, body)
            _write_file(new / MANIFEST, io.dumps(manifest).encode("utf-8"))
            for subdir in (*subdirs, new):
                _fsync_dir(subdir)
            if read_dataset(new).manifest != manifest:
                raise DatasetError(shown, "cannot write: the files read back differ from those written")
            new = _swap_in(new, directory)  # from here on, the temporary name holds the replaced dataset
            _fsync_dir(directory.parent)
        except OSError as exc:
            raise DatasetError(shown, f"cannot write: {exc.strerror or exc}") from None
        finally:
            if new is not None:
                shutil.rmtree(new, ignore_errors=True)
    return [directory / path for path in sorted(files)] + [directory / MANIFEST]
