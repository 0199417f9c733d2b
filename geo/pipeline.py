"""The pipeline's steps put together over a data directory (sources, boundaries, gazetteer)."""

from __future__ import annotations

from pathlib import Path

from geo import datum
from geo.boundaries import Boundaries
from geo.build import Compiled, compile_layers, render, stale_layers, write_layers
from geo.dataset import removals, remove_stale
from geo.geocode import Geocoder, default_geocoder
from geo.problems import PipelineError, Problem
from geo.sources import read_sources
from geo.validate import check_dataset

BOUNDARIES_FILE = Path("boundaries") / "gba_admin.geojson"


def load_boundaries(data_dir: Path, path: Path | None = None) -> Boundaries:
    """The boundary units (``data_dir/boundaries/gba_admin.geojson`` unless ``path`` is given)."""
    path = Path(path) if path else Path(data_dir) / BOUNDARIES_FILE
    try:
        boundaries = Boundaries.load(path)
    except FileNotFoundError:
        raise PipelineError([Problem(str(path), None, "boundary file is missing: run `make boundaries`")]) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise PipelineError([Problem(str(path), None, f"boundary file cannot be read: {exc}")]) from None
    # GCJ-02 is a mainland datum: Hong Kong and Macau positions are never shifted.
    datum.set_unshifted_areas(
        g for g in (boundaries.jurisdiction_geometry("Hong Kong"), boundaries.jurisdiction_geometry("Macau")) if g
    )
    return boundaries


def compile_data(
    data_dir: Path, geocoder: Geocoder | None = None, progress=lambda _m: None, boundaries_path: Path | None = None
) -> tuple[Compiled, list[Problem]]:
    """Read ``data_dir/sources``, compile and validate; return the layers and every problem."""
    data_dir = Path(data_dir)
    boundaries = load_boundaries(data_dir, boundaries_path)
    geocoder = geocoder or default_geocoder(boundaries, data_dir)
    tables = read_sources(data_dir / "sources")
    compiled, problems = compile_layers(tables, boundaries, geocoder, progress)
    if not problems:
        files = {layer: str(data_dir / "geojson" / f"{layer}.geojson") for layer in compiled.layers}
        problems = check_dataset(compiled.layers, files)
    return compiled, problems


def build(
    data_dir: Path,
    out_dir: Path | None = None,
    geocoder: Geocoder | None = None,
    progress=lambda _m: None,
    boundaries_path: Path | None = None,
    allow_removals: bool = False,
) -> list[Path]:
    """Compile and publish the dataset; return the files written (none when nothing changed).

    Raises ``PipelineError`` (writing nothing) on any problem in the sources, and when
    the build would remove more than ``geo.dataset.MAX_REMOVED_SHARE`` of a layer's
    published records, unless ``allow_removals``.  I/O failures raise ``DatasetError``.
    """
    data_dir = Path(data_dir)
    compiled, problems = compile_data(data_dir, geocoder, progress, boundaries_path)
    if problems:
        raise PipelineError(problems)
    texts = render(compiled)
    directory = Path(out_dir) if out_dir else data_dir / "geojson"
    remove_stale(directory)  # what a killed build left behind (nothing to do, nothing written)
    if not stale_layers(texts, directory):
        return []
    if not allow_removals:
        refused = removals(directory, texts)
        if refused:
            raise PipelineError(refused)
    return write_layers(texts, directory)


def stale(
    data_dir: Path, out_dir: Path | None = None, geocoder: Geocoder | None = None, boundaries_path: Path | None = None
) -> list[str]:
    """Layer files that no longer match their sources (raises ``PipelineError`` if sources are bad)."""
    data_dir = Path(data_dir)
    compiled, problems = compile_data(data_dir, geocoder, boundaries_path=boundaries_path)
    if problems:
        raise PipelineError(problems)
    return stale_layers(render(compiled), Path(out_dir) if out_dir else data_dir / "geojson")


def stale_layers_of(compiled: Compiled, out_dir: Path) -> list[str]:
    return stale_layers(render(compiled), Path(out_dir))
