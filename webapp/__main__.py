"""``python -m webapp``: the app's commands.

``python -m webapp export OUT/`` writes the static export (webapp/static_export.py,
docs/static-export.md). Errors are one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _export(args: argparse.Namespace) -> int:
    from geo.dataset import DatasetError
    from webapp import create_app, security
    from webapp.static_export import ExportError, check_target, export

    def progress(message: str) -> None:
        if not args.quiet:
            print(f"export: {message}", file=sys.stderr, flush=True)

    out = Path(args.out)
    config = {} if args.data_dir is None else {"DATA_DIR": args.data_dir}
    try:
        public_url = security.check_public_url(args.public_url) if args.public_url else None
        check_target(out.resolve())  # before loading the data: a wrong folder is refused at once
        progress("loading the data")
        app = create_app(config)
        files = export(app, out, progress, public_url, args.tile_max_zoom)
    except (ExportError, DatasetError, ValueError, OSError) as exc:
        print(f"python -m webapp export: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("python -m webapp export: interrupted; nothing written", file=sys.stderr)
        return 130
    size = sum(files.values())
    progress(f"wrote {len(files)} files ({size / 1e6:.1f} MB) to {out}; open {out / 'index.html'} through a web server")
    return 0


def main(argv: list[str] | None = None) -> int:
    from webapp.static_export import TILE_MAX_ZOOM

    parser = argparse.ArgumentParser(prog="python -m webapp", description="The GBA Cooperation Map's commands.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    export = commands.add_parser(
        "export",
        help="write the map as a folder of static files for any static host (docs/static-export.md)",
        description="Write the map, its data, downloads, images and search as static files into OUT.",
    )
    export.add_argument("out", metavar="OUT", help="the folder to write (new, empty, or a previous export)")
    export.add_argument("--data-dir", help="the data directory (default: GBA_DATA_DIR or the repository's data/)")
    export.add_argument(
        "--public-url",
        help="where the folder will be served (e.g. https://example.org/map): makes the social cards' links absolute",
    )
    export.add_argument(
        "--tile-max-zoom",
        type=int,
        default=TILE_MAX_ZOOM,
        metavar="Z",
        help="deepest zoom of the PMTiles archives of the layers over GBA_TILE_THRESHOLD (default: %(default)s)",
    )
    export.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    args = parser.parse_args(argv)
    if args.command == "export":
        return _export(args)
    return 2  # pragma: no cover - argparse refuses other commands


if __name__ == "__main__":
    sys.exit(main())
