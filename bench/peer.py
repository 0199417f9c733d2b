"""pygeoapi, the peer: its own virtualenv, its data files and its configuration.

pygeoapi 0.24 needs Python >= 3.12 (on 3.11 pip quietly picks 0.21), so it gets a
virtualenv of its own under ``bench/.work/`` built from a 3.12 interpreter.  Its
embedded feature providers are tried on the same synthetic layer:

- ``GeoJSON``: the very file our app loads;
- ``SQLiteGPKG`` on a SpatiaLite database (built by ``spatialite_build.py``);
- ``SQLiteGPKG`` on a GeoPackage (written with pyogrio, which bundles GDAL);
- ``OGR`` on the same GeoPackage (needs GDAL's Python bindings, built against
  Debian's ``libgdal-dev``; skipped when they cannot be installed).
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson
import yaml

from bench.servers import Progress

PYGEOAPI_VERSION = "0.24.0"
# Pinned so that a re-run measures the same peer.
PEER_REQUIREMENTS = (f"pygeoapi=={PYGEOAPI_VERSION}", "gunicorn==27.0.1", "pysqlite3==0.6.1")
SPATIALITE_MODULE = "mod_spatialite"
HERE = Path(__file__).resolve().parent

# pyenv's CPython has no sqlite3.enable_load_extension: the SQLite provider then
# cannot load SpatiaLite.  pysqlite3 is the same module built with it; this module,
# imported before pygeoapi, puts it in sqlite3's place.
ALIAS_MODULE = '''"""pysqlite3 standing in for sqlite3 (written by bench/peer.py)."""
import sys

try:
    import pysqlite3
    import pysqlite3.dbapi2

    sys.modules["sqlite3"] = pysqlite3
    sys.modules["sqlite3.dbapi2"] = pysqlite3.dbapi2
except ImportError:
    pass
'''
APP_MODULE = '''"""pygeoapi's Flask app, with the sqlite3 alias (written by bench/peer.py)."""
import sqlite_alias  # noqa: F401

from pygeoapi.flask_app import APP  # noqa: E402
'''


@dataclass
class PeerEnv:
    """The peer's virtualenv and what it can run."""

    venv: Path
    python: Path
    gunicorn: Path
    pygeoapi: Path
    has_ogr: bool
    has_spatialite: bool
    python_version: str
    notes: list[str]


def find_python312() -> Path | None:
    """A Python >= 3.12 interpreter: $BENCH_PEER_PYTHON, pyenv's 3.12/3.13, or python3.12/3.13 on PATH."""
    candidates = [os.environ.get("BENCH_PEER_PYTHON", "")]
    candidates += sorted(glob.glob("/root/.pyenv/versions/3.12*/bin/python")) + sorted(
        glob.glob("/root/.pyenv/versions/3.13*/bin/python")
    )
    candidates += [shutil.which("python3.12") or "", shutil.which("python3.13") or ""]
    for candidate in candidates:
        if not candidate or not Path(candidate).exists():
            continue
        done = subprocess.run(
            [candidate, "-c", "import sys; print(sys.version_info >= (3, 12))"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.stdout.strip() == "True":
            return Path(candidate)
    return None


def _run(argv: list[str], progress: Progress, what: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    progress(what)
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)


def _imports(python: Path, code: str) -> bool:
    """True when ``python`` runs ``code`` cleanly (False when there is no such interpreter yet)."""
    try:
        return subprocess.run([str(python), "-c", code], capture_output=True, check=False).returncode == 0
    except OSError:  # a fresh clone: the peer's venv does not exist before the first run
        return False


def ensure_peer_env(work: Path, progress: Progress, want_ogr: bool = True) -> PeerEnv:
    """Create (once) ``work/pygeoapi-venv`` with pygeoapi from PyPI; add GDAL's bindings when possible."""
    venv = work.resolve() / "pygeoapi-venv"
    python = venv / "bin" / "python"
    notes: list[str] = []
    if not _imports(python, f"import pygeoapi, sys; sys.exit(pygeoapi.__version__ != {PYGEOAPI_VERSION!r})"):
        interpreter = find_python312()
        if interpreter is None:
            raise RuntimeError(
                "pygeoapi 0.24 needs Python >= 3.12 and none was found: set BENCH_PEER_PYTHON "
                "to a 3.12 interpreter (e.g. `pyenv install 3.12`)"
            )
        if venv.exists():
            shutil.rmtree(venv)
        done = _run([str(interpreter), "-m", "venv", str(venv)], progress, f"creating {venv} with {interpreter}")
        if done.returncode != 0:
            raise RuntimeError(f"cannot create {venv}: {done.stderr.strip()}")
        done = _run(
            [str(python), "-m", "pip", "install", "--quiet", *PEER_REQUIREMENTS],
            progress,
            "installing " + " ".join(PEER_REQUIREMENTS) + " (PyPI)",
        )
        if done.returncode != 0:
            raise RuntimeError(f"cannot install pygeoapi: {done.stderr.strip()[-2000:]}")
    has_ogr = _imports(python, "from osgeo import ogr")
    if want_ogr and not has_ogr:
        has_ogr = _install_gdal_bindings(python, progress, notes)
    has_spatialite = _imports(
        python,
        "import pysqlite3 as s; c = s.connect(':memory:'); c.enable_load_extension(True); "
        f"c.load_extension('{SPATIALITE_MODULE}')",
    )
    if not has_spatialite:
        notes.append("SQLite provider skipped: libsqlite3-mod-spatialite (Debian) is not installed")
    version = subprocess.run(
        [str(python), "-c", "import sys; print(sys.version.split()[0])"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return PeerEnv(
        venv=venv,
        python=python,
        gunicorn=venv / "bin" / "gunicorn",
        pygeoapi=venv / "bin" / "pygeoapi",
        has_ogr=has_ogr,
        has_spatialite=has_spatialite,
        python_version=version,
        notes=notes,
    )


def _install_gdal_bindings(python: Path, progress: Progress, notes: list[str]) -> bool:
    """GDAL's Python bindings at the system libgdal's version (a few minutes of compiling)."""
    gdal_config = shutil.which("gdal-config")
    if gdal_config is None:
        notes.append("OGR provider skipped: GDAL's headers are missing (apt-get install libgdal-dev)")
        return False
    gdal_version = subprocess.run(
        [gdal_config, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    done = _run(
        [str(python), "-m", "pip", "install", "--quiet", "setuptools", "wheel", "numpy"],
        progress,
        "installing the build tools for GDAL's bindings",
    )
    done = _run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-build-isolation", f"GDAL=={gdal_version}"],
        progress,
        f"building GDAL {gdal_version} Python bindings for the OGR provider (a few minutes)",
    )
    if done.returncode != 0 or not _imports(python, "from osgeo import ogr"):
        notes.append(
            f"OGR provider skipped: GDAL=={gdal_version} bindings did not build ({done.stderr.strip()[-300:]})"
        )
        return False
    return True


def write_gpkg(geojson: Path, target: Path, layer: str) -> int:
    """The layer as a GeoPackage (with its R-tree index), via pyogrio's bundled GDAL.

    Lists and objects become JSON text; nullable integers stay integers (masked).
    """
    import pyogrio.raw
    import shapely

    features = orjson.loads(geojson.read_bytes())["features"]
    names = sorted({key for f in features for key in f["properties"]}, key=lambda k: (k != "id", k))
    field_data, field_mask = [], []
    for name in names:
        values = [f["properties"].get(name) for f in features]
        present = [v for v in values if v is not None]
        mask = np.array([v is None for v in values])
        if present and all(isinstance(v, bool) for v in present):
            array = np.array([bool(v) for v in values])
        elif present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
            array = np.array([v or 0 for v in values], dtype=np.int64)
        elif present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
            array = np.array([float(v or 0) for v in values])
        else:
            array = np.array(
                [
                    None if v is None else json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else str(v)
                    for v in values
                ],
                dtype=object,
            )
        field_data.append(array)
        field_mask.append(mask if mask.any() else None)
    points = shapely.points(np.array([f["geometry"]["coordinates"][:2] for f in features], dtype=float))
    if target.exists():
        target.unlink()
    pyogrio.raw.write(
        str(target),
        geometry=shapely.to_wkb(points),
        field_data=field_data,
        fields=names,
        field_mask=field_mask,
        layer=layer,
        driver="GPKG",
        geometry_type="Point",
        crs="EPSG:4326",
        layer_options={"SPATIAL_INDEX": "YES", "FID": "fid"},
    )
    return len(features)


def write_spatialite(env: PeerEnv, geojson: Path, target: Path, layer: str) -> None:
    done = subprocess.run(
        [str(env.python), str(HERE / "spatialite_build.py"), str(geojson), str(target), layer],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"cannot build {target}: {done.stderr.strip()[-1000:]}")


def provider_definitions(env: PeerEnv, geojson: Path, out_dir: Path, layer: str, progress: Progress) -> dict[str, dict]:
    """Every provider this machine can run, by label, with its data built in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    definitions: dict[str, dict] = {
        "GeoJSON": {"type": "feature", "name": "GeoJSON", "data": str(geojson), "id_field": "id"},
    }
    gpkg = out_dir / f"{layer}.gpkg"
    progress(f"writing {gpkg.name} (pyogrio)")
    write_gpkg(geojson, gpkg, layer)
    if env.has_spatialite:
        sqlite = out_dir / f"{layer}.sqlite"
        progress(f"writing {sqlite.name} (SpatiaLite)")
        write_spatialite(env, geojson, sqlite, layer)
        definitions["SQLite (SpatiaLite)"] = {
            "type": "feature",
            "name": "SQLiteGPKG",
            "data": str(sqlite),
            "id_field": "id",
            "table": layer,
        }
        definitions["SQLite (GeoPackage)"] = {
            "type": "feature",
            "name": "SQLiteGPKG",
            "data": str(gpkg),
            "id_field": "id",
            "table": layer,
        }
    if env.has_ogr:
        definitions["OGR (GeoPackage)"] = {
            "type": "feature",
            "name": "OGR",
            "data": {
                "source_type": "GPKG",
                "source": str(gpkg),
                "source_srs": "EPSG:4326",
                "target_srs": "EPSG:4326",
                "source_capabilities": {"paging": True},
            },
            "id_field": "id",
            "layer": layer,
        }
    return definitions


def write_config(
    directory: Path, port: int, layer: str, provider: dict, max_items: int, extent: list[float]
) -> tuple[Path, Path]:
    """pygeoapi's config and OpenAPI document paths (the document is generated by ``generate_openapi``).

    ``limits.max_items`` defaults to 10 and silently truncates larger ``limit=``
    requests: it is raised to the layer's size so a whole-layer request is whole.
    """
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "sqlite_alias.py").write_text(ALIAS_MODULE, encoding="utf-8")
    (directory / "peer_app.py").write_text(APP_MODULE, encoding="utf-8")
    url = f"http://127.0.0.1:{port}"
    config = {
        "server": {
            "bind": {"host": "127.0.0.1", "port": port},
            "url": url,
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "languages": ["en-US"],
            "gzip": False,
            "cors": True,
            "pretty_print": False,
            "limits": {"default_items": 10, "max_items": max(max_items, 10), "on_exceed": "throttle"},
            "map": {"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "attribution": "OpenStreetMap"},
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {
                "title": "GBA benchmark peer",
                "description": "pygeoapi serving the benchmark's synthetic layer",
                "keywords": ["benchmark"],
                "keywords_type": "theme",
                "terms_of_service": "https://creativecommons.org/licenses/by/4.0/",
                "url": url,
            },
            "license": {"name": "CC-BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
            "provider": {"name": "GBA Cooperation Map benchmark", "url": url},
            "contact": {"name": "Benchmark", "position": "n/a", "email": "bench@example.org", "role": "pointOfContact"},
        },
        "resources": {
            layer: {
                "type": "collection",
                "title": layer,
                "description": f"Synthetic {layer}",
                "keywords": [layer],
                "links": [],
                "extents": {
                    "spatial": {"bbox": extent, "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
                },
                "providers": [provider],
            }
        },
    }
    config_path = directory / "pygeoapi-config.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return config_path, directory / "pygeoapi-openapi.yml"


def generate_openapi(env: PeerEnv, config_path: Path, openapi_path: Path) -> None:
    done = subprocess.run(
        [
            str(env.python),
            "-c",
            "import sys, sqlite_alias; from pygeoapi import cli; sys.exit(cli())",
            "openapi",
            "generate",
            str(config_path),
            "--output-file",
            str(openapi_path),
        ],
        capture_output=True,
        text=True,
        env=peer_environment(config_path, openapi_path),
        cwd=config_path.parent,
        check=False,
        timeout=900,
    )
    if done.returncode != 0 or not openapi_path.exists():
        raise RuntimeError(f"pygeoapi openapi generate failed: {(done.stderr or done.stdout).strip()[-1500:]}")


def peer_environment(config_path: Path, openapi_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(
        PYGEOAPI_CONFIG=str(config_path),
        PYGEOAPI_OPENAPI=str(openapi_path),
        # pygeoapi's SQLite provider loads "mod_spatialite.so" by this path.
        SPATIALITE_LIBRARY_PATH=os.environ.get("SPATIALITE_LIBRARY_PATH", "mod_spatialite.so"),
        PYTHONPATH=str(config_path.parent),
    )
    return env


def peer_versions(env: PeerEnv) -> dict[str, str]:
    code = (
        "import json, importlib.metadata as m\n"
        "out = {}\n"
        "for name in ('pygeoapi', 'gunicorn', 'Flask', 'pysqlite3', 'GDAL', 'shapely'):\n"
        "    try:\n"
        "        out[name] = m.version(name)\n"
        "    except m.PackageNotFoundError:\n"
        "        pass\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run([str(env.python), "-c", code], capture_output=True, text=True, check=False)
    versions = json.loads(done.stdout or "{}")
    versions["python"] = env.python_version
    return versions


if __name__ == "__main__":  # pragma: no cover - a manual check of the environment
    print(ensure_peer_env(Path(sys.argv[1]), print))


def request_paths(layer: str, n: int, small: str, city: str, feature: str) -> dict[str, str]:
    """pygeoapi's spelling of the bench's requests (one table for every bench that runs it): the
    small and city bbox (``small``/``city``: ``minx,miny,maxx,maxy``), one item, the whole layer."""
    items = f"/collections/{layer}/items"
    return {
        "small bbox": f"{items}?bbox={small}&limit=100&f=json",
        "city bbox": f"{items}?bbox={city}&limit=1000&f=json",
        "item by id": f"{items}/{feature}?f=json",
        "whole layer": f"{items}?limit={n}&f=json",
    }
