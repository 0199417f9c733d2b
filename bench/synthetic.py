"""Seeded synthetic point layers for the benchmark and for load tests.

``generate_collection`` places points on real land of the Greater Bay Area: each
point is drawn inside one district polygon of ``data/boundaries/gba_admin.geojson``
and then joined to the boundaries the way the build joins real records, so its
``jurisdiction`` and ``district`` are what ``geo`` would say about that position.
Density follows the cities' weight in the data (Shenzhen, Guangzhou and Hong Kong
first) and a dense cluster sits in Pingshan, so a ~5 km box there holds hundreds
of points at 10k.  Properties follow ``geo.schema.FEATURE_PROPERTIES``; every
record says in its description and source that it is synthetic.

The same ``(n, seed, layer)`` always gives the same collection, byte for byte.
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import orjson
import shapely
from shapely.strtree import STRtree

from geo import io
from geo.boundaries import AdminUnit, Boundaries
from geo.dataset import MANIFEST, write_dataset
from geo.schema import (
    CATEGORIES,
    COORD_DECIMALS,
    COORD_PRECISIONS,
    FIGURE_KINDS,
    LANGS,
    LAYER_CATEGORIES,
    LAYER_GEOMETRY,
)

BOUNDARIES_PATH = Path(__file__).resolve().parent.parent / "data" / "boundaries" / "gba_admin.geojson"

POINT_LAYERS = tuple(layer for layer, types in LAYER_GEOMETRY.items() if types == ("Point",))

# Share of the points in each jurisdiction: roughly the weight of each city's
# firms and institutions, Shenzhen, Guangzhou and Hong Kong first.
JURISDICTION_WEIGHTS = {
    "Shenzhen": 0.30,
    "Guangzhou": 0.22,
    "Hong Kong": 0.14,
    "Dongguan": 0.08,
    "Foshan": 0.08,
    "Zhuhai": 0.04,
    "Huizhou": 0.04,
    "Macau": 0.03,
    "Zhongshan": 0.03,
    "Jiangmen": 0.02,
    "Zhaoqing": 0.02,
}

# The dense cluster: around the Pingshan High-tech Zone, 5 % of all points in a
# Gaussian blob of 1.2 km standard deviation (most of it inside a 5 km box).
PINGSHAN_CENTRE = (114.350, 22.705)
PINGSHAN_SHARE = 0.05
PINGSHAN_SIGMA_KM = 1.2

KM_PER_DEGREE_LAT = 111.32

# Trade names in the three forms (Traditional, Simplified, English romanisation).
TRADE_NAMES = (
    ("華芯", "华芯", "Huaxin"),
    ("創達", "创达", "Chuangda"),
    ("海科", "海科", "Haike"),
    ("灣區", "湾区", "Wanqu"),
    ("中微", "中微", "Zhongwei"),
    ("康泰", "康泰", "Kangtai"),
    ("聯創", "联创", "Lianchuang"),
    ("新視", "新视", "Xinshi"),
    ("智行", "智行", "Zhixing"),
    ("鵬城", "鹏城", "Pengcheng"),
    ("嶺南", "岭南", "Lingnan"),
    ("粵港", "粤港", "Yuegang"),
    ("金沙", "金沙", "Jinsha"),
    ("匯通", "汇通", "Huitong"),
    ("藍海", "蓝海", "Lanhai"),
    ("天成", "天成", "Tiancheng"),
    ("國光", "国光", "Guoguang"),
    ("宏遠", "宏远", "Hongyuan"),
    ("晶源", "晶源", "Jingyuan"),
    ("恒生", "恒生", "Hengsheng"),
    ("安捷", "安捷", "Anjie"),
    ("瑞華", "瑞华", "Ruihua"),
    ("東方", "东方", "Dongfang"),
    ("盛世", "盛世", "Shengshi"),
    ("澳科", "澳科", "Aoke"),
    ("銀河", "银河", "Yinhe"),
    ("遠景", "远景", "Yuanjing"),
    ("長城", "长城", "Changcheng"),
)

# (status, share, founded-or-announced years, years from announcement to target)
STATUS_PLAN = (
    ("operating", 0.70, (1985, 2025), None),
    ("under_construction", 0.12, (2019, 2025), (1, 3)),
    ("planned", 0.12, (2020, 2025), (2, 6)),
    ("proposed", 0.06, (2021, 2025), (3, 8)),
)

PRECISION_PLAN = (("building", 0.55), ("street", 0.35), ("campus", 0.10))

SOURCE_TITLE = "合成名錄（基準測試用，非真實資料）"
SOURCE_PUBLISHER = "GBA Cooperation Map benchmark generator (bench/synthetic.py)"
COORD_SOURCE = "synthetic: seeded random position inside the district boundary (bench/synthetic.py)"
COORD_SOURCE_ZH_HANT = "合成資料：在區界內按種子隨機產生的位置（bench/synthetic.py）"
COORD_SOURCE_ZH_HANS = "合成资料：在区界内按种子随机产生的位置（bench/synthetic.py）"


@dataclass(frozen=True)
class _Land:
    """The boundary units the generator draws from (Beijing excluded) and the join to them."""

    units: tuple[AdminUnit, ...]  # in file order, as ``Boundaries`` holds them
    tree: STRtree  # over ``units``, for a vectorised version of ``Boundaries.locate``
    by_jurisdiction: dict[str, tuple[int, ...]]
    pingshan: int


@lru_cache(maxsize=1)
def _land() -> _Land:
    units = tuple(Boundaries.load(BOUNDARIES_PATH).units)
    by_jurisdiction: dict[str, list[int]] = {}
    for index, unit in enumerate(units):
        if unit.jurisdiction in JURISDICTION_WEIGHTS:
            shapely.prepare(unit.geometry)
            by_jurisdiction.setdefault(unit.jurisdiction, []).append(index)
    pingshan = next(i for i, u in enumerate(units) if u.name_en == "Pingshan" and u.jurisdiction == "Shenzhen")
    tree = STRtree([unit.geometry for unit in units])
    return _Land(units, tree, {k: tuple(v) for k, v in by_jurisdiction.items()}, pingshan)


def pingshan_bbox(size_km: float = 5.0) -> tuple[float, float, float, float]:
    """A ``size_km`` square box centred on the Pingshan cluster (the bench's small bbox)."""
    lon, lat = PINGSHAN_CENTRE
    half_lat = size_km / 2 / KM_PER_DEGREE_LAT
    half_lon = size_km / 2 / (KM_PER_DEGREE_LAT * math.cos(math.radians(lat)))
    return (round(lon - half_lon, 5), round(lat - half_lat, 5), round(lon + half_lon, 5), round(lat + half_lat, 5))


def jurisdiction_bbox(jurisdiction: str) -> tuple[float, float, float, float]:
    """The bounding box of a jurisdiction's land (e.g. the bench's city-wide Shenzhen box)."""
    land = _land()
    minx, miny, maxx, maxy = shapely.total_bounds([land.units[i].geometry for i in land.by_jurisdiction[jurisdiction]])
    return (round(float(minx), 5), round(float(miny), 5), round(float(maxx), 5), round(float(maxy), 5))


def _draw_in(unit: AdminUnit, count: int, centre: tuple[float, float], sigma_deg: float, rng) -> np.ndarray:
    """``count`` positions (rounded to the stored precision) inside ``unit``, Gaussian around ``centre``.

    Rejection sampling: candidates outside the polygon are drawn again.  A
    district whose shape rejects nearly everything (a thin island chain) falls
    back to uniform draws over its bounding box, which always converge.
    """
    out = np.empty((0, 2))
    minx, miny, maxx, maxy = unit.geometry.bounds
    rounds = 0
    while len(out) < count:
        batch = max(16, 2 * (count - len(out)))
        if rounds < 20:
            xy = rng.normal(
                loc=centre, scale=(sigma_deg / math.cos(math.radians(centre[1])), sigma_deg), size=(batch, 2)
            )
        else:
            xy = rng.uniform(low=(minx, miny), high=(maxx, maxy), size=(batch, 2))
        xy = np.round(xy, COORD_DECIMALS)
        inside = shapely.contains_xy(unit.geometry, xy[:, 0], xy[:, 1])
        out = np.concatenate([out, xy[inside]])
        rounds += 1
    return out[:count]


def _positions(n: int, rng) -> np.ndarray:
    """``n`` [lon, lat] rows: the Pingshan cluster share, then each city's districts."""
    land = _land()
    groups = [("pingshan", PINGSHAN_SHARE)] + [(j, w * (1 - PINGSHAN_SHARE)) for j, w in JURISDICTION_WEIGHTS.items()]
    shares = np.array([share for _, share in groups])
    group_of = rng.choice(len(groups), size=n, p=shares / shares.sum())
    # Within a city every district is equally likely: small central districts
    # end up dense, large rural ones sparse, as real registers are.
    district_of = np.empty(n, dtype=np.int64)
    for g, (name, _share) in enumerate(groups):
        members = np.flatnonzero(group_of == g)
        choices = (land.pingshan,) if name == "pingshan" else land.by_jurisdiction[name]
        district_of[members] = np.asarray(choices)[rng.integers(0, len(choices), size=members.size)]
    positions = np.empty((n, 2))
    for g, (name, _share) in enumerate(groups):
        for unit_index in sorted(set(district_of[group_of == g].tolist())):
            members = np.flatnonzero((group_of == g) & (district_of == unit_index))
            unit = land.units[unit_index]
            if name == "pingshan":
                centre, sigma = PINGSHAN_CENTRE, PINGSHAN_SIGMA_KM / KM_PER_DEGREE_LAT
            else:
                point = unit.geometry.representative_point()
                centre = (point.x, point.y)
                sigma = 0.35 * math.sqrt(unit.geometry.area)
            positions[members] = _draw_in(unit, members.size, centre, sigma, rng)
    return positions


def _locate(positions: np.ndarray) -> np.ndarray:
    """Index of the boundary unit holding each position, as ``Boundaries.locate`` picks it (lowest index)."""
    land = _land()
    points = shapely.points(positions)
    point_index, unit_index = land.tree.query(points, predicate="intersects")
    located = np.full(len(positions), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(located, point_index, unit_index)
    if (located == np.iinfo(np.int64).max).any():
        raise RuntimeError("a synthetic position fell outside every boundary unit")
    return located


def _pick(rng, plan) -> int:
    """Index of one row of ``plan`` (rows are ``(value, share, ...)``), drawn by share."""
    shares = np.array([row[1] for row in plan])
    return int(rng.choice(len(plan), p=shares / shares.sum()))


def _article(word: str) -> str:
    return "An" if word[:1].lower() in "aeiou" else "A"


def _names(layer: str, category: str, unit: AdminUnit, trade: tuple[str, str, str]) -> dict[str, str]:
    city = {
        "zh_hant": unit.jurisdiction_zh_hant.removesuffix("市").removesuffix("特別行政區"),
        "zh_hans": unit.jurisdiction_zh_hans.removesuffix("市").removesuffix("特别行政区"),
    }
    label = CATEGORIES[category]
    if layer == "enterprises":
        hant = f"{city['zh_hant']}{trade[0]}{label['zh_hant']}有限公司"
        hans = f"{city['zh_hans']}{trade[1]}{label['zh_hans']}有限公司"
        if unit.jurisdiction in ("Hong Kong", "Macau"):
            english = f"{trade[2]} {label['en']} ({unit.jurisdiction}) Limited"
        else:
            english = f"{unit.jurisdiction} {trade[2]} {label['en']} Co., Ltd."
    else:
        hant = f"{city['zh_hant']}{trade[0]}{label['zh_hant']}"
        hans = f"{city['zh_hans']}{trade[1]}{label['zh_hans']}"
        english = f"{unit.jurisdiction} {trade[2]} {label['en']}"
    return {"name_zh_hant": hant, "name_zh_hans": hans, "name_en": english}


def synthetic_id(n: int, number: int, layer: str = "enterprises") -> str:
    """The id of the ``number``-th feature (from 1) of an ``n``-feature layer: ``syn-enterprises-000042``.

    Zero-padded so that id order is generation order.
    """
    return f"syn-{layer.replace('_', '-')}-{number:0{max(6, len(str(n)))}d}"


def _feature(layer: str, number: int, n: int, lon: float, lat: float, unit: AdminUnit, rng) -> dict:
    categories = LAYER_CATEGORIES[layer]
    category = categories[int(rng.integers(0, len(categories)))]
    trade = TRADE_NAMES[int(rng.integers(0, len(TRADE_NAMES)))]
    names = _names(layer, category, unit, trade)
    has_district = unit.level == "district"
    place = {
        lang: (unit.name_zh_hant if lang == "zh_hant" else unit.name_zh_hans if lang == "zh_hans" else unit.name_en)
        for lang in LANGS
    }
    label = CATEGORIES[category]
    descriptions = {
        "description_zh_hant": f"位於{place['zh_hant']}的{label['zh_hant']}機構。此為基準測試用的合成記錄，並非真實資料。",
        "description_zh_hans": f"位于{place['zh_hans']}的{label['zh_hans']}机构。此为基准测试用的合成记录，并非真实资料。",
        "description_en": (
            f"{_article(label['en'])} {label['en'].lower()} organisation in {place['en']}, {unit.jurisdiction}. "
            "A synthetic record for benchmarking, not real data."
        ),
    }
    status, _share, (first, last), target_span = STATUS_PLAN[_pick(rng, STATUS_PLAN)]
    year = int(rng.integers(first, last + 1)) if rng.random() < 0.9 else None
    target_year = None
    if target_span is not None and year is not None:
        target_year = year + int(rng.integers(target_span[0], target_span[1] + 1))
    figures = []
    if rng.random() < 0.15:
        kind = FIGURE_KINDS["investment_rmb_bn"]
        figures.append(
            {
                "key": "investment_rmb_bn",
                "value": round(float(rng.lognormal(0.0, 1.0)), 1),
                "unit": kind["unit"],
                **{f"label_{lang}": kind[lang] for lang in LANGS},
            }
        )
    precision = PRECISION_PLAN[_pick(rng, PRECISION_PLAN)][0]
    feature_id = synthetic_id(n, number, layer)
    properties = {
        "id": feature_id,
        "layer": layer,
        "category": category,
        **names,
        "aliases": [],
        **descriptions,
        "jurisdiction": unit.jurisdiction,
        "jurisdiction_zh_hant": unit.jurisdiction_zh_hant,
        "jurisdiction_zh_hans": unit.jurisdiction_zh_hans,
        "jurisdictions": [unit.jurisdiction],
        "district": unit.name_en if has_district else None,
        "district_zh_hant": unit.name_zh_hant if has_district else None,
        "district_zh_hans": unit.name_zh_hans if has_district else None,
        "status": status,
        "year": year,
        "target_year": target_year,
        "figures": figures,
        "people": [],
        "sources": [
            {
                "citation": "synthetic-register",
                "title": SOURCE_TITLE,
                "publisher": SOURCE_PUBLISHER,
                "date": "2026",
                "quote": f"{names['name_zh_hant']}，位於{place['zh_hant']}。",
            }
        ],
        "coord_precision": precision,
        "approximate": COORD_PRECISIONS[precision]["approximate"],
        "coord_source": COORD_SOURCE,
        "coord_source_zh_hant": COORD_SOURCE_ZH_HANT,
        "coord_source_zh_hans": COORD_SOURCE_ZH_HANS,
        "outside_gba": False,
    }
    return {
        "type": "Feature",
        "id": feature_id,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": properties,
    }


def generate_collection(n: int, seed: int = 0, layer: str = "enterprises") -> dict:
    """A deterministic FeatureCollection of ``n`` synthetic points of ``layer``.

    Parameters
    ----------
    n : int
        Number of features (0 or more).
    seed : int
        Seed of the random generator: the same ``(n, seed, layer)`` gives the same collection.
    layer : str
        A point layer of ``geo.schema`` (enterprises, hospitals, universities, ...): it
        decides the categories and the ids (``syn-<layer>-000001`` ...).

    Returns
    -------
    dict
        ``{"type": "FeatureCollection", "name": layer, "features": [...]}``, valid under
        ``geo.validate.check_collection``, features in id order.
    """
    return {"type": "FeatureCollection", "name": layer, "features": list(iter_features(n, seed, layer))}


def iter_features(n: int, seed: int = 0, layer: str = "enterprises") -> Iterator[dict]:
    """The features of ``generate_collection(n, seed, layer)``, one at a time (for layers too big to hold)."""
    if layer not in POINT_LAYERS:
        raise ValueError(f"layer {layer!r} is not a point layer; choose one of {', '.join(POINT_LAYERS)}")
    if n < 0:
        raise ValueError(f"n must be 0 or more, not {n}")
    rng = np.random.default_rng(seed)
    positions = _positions(n, rng) if n else np.empty((0, 2))
    located = _locate(positions) if n else np.empty(0, dtype=np.int64)
    units = _land().units
    for i, ((lon, lat), unit) in enumerate(zip(positions.tolist(), located.tolist())):
        yield _feature(layer, i + 1, n, float(lon), float(lat), units[unit], rng)


def stream_data_dir(
    path: str | Path,
    n: int,
    seed: int = 0,
    layer: str = "enterprises",
    each: Callable[[dict], None] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """``write_data_dir`` for one layer of any size: the same bytes and manifest, never held whole in memory.

    Features are serialised one by one into the file while its SHA-256 is computed;
    ``each(feature)`` sees every feature on the way (the bench copies them into
    PostgreSQL in the same pass).  The directory is written beside ``<path>/geojson``
    and renamed into place, so an interrupted run leaves no half layer behind.
    Returns the layer file.
    """
    directory = Path(path) / "geojson"
    directory.parent.mkdir(parents=True, exist_ok=True)
    new = directory.with_name(f".geojson.new-{os.getpid()}")
    shutil.rmtree(new, ignore_errors=True)
    new.mkdir()
    name = f"{layer}.geojson"
    digest = hashlib.sha256()
    size = 0
    with open(new / name, "wb") as out:

        def put(chunk: bytes) -> None:
            nonlocal size
            out.write(chunk)
            digest.update(chunk)
            size += len(chunk)

        put(b'{"features":[')
        for number, feature in enumerate(iter_features(n, seed, layer), 1):
            put((b"," if number > 1 else b"") + orjson.dumps(feature, option=orjson.OPT_SORT_KEYS))
            if each is not None:
                each(feature)
            if progress is not None and number % 100_000 == 0:
                progress(f"{number:,} of {n:,} features written")
        put(b'],"name":' + orjson.dumps(layer) + b',"type":"FeatureCollection"}\n')
    entries = {name: {"bytes": size, "features": n, "sha256": digest.hexdigest()}}
    version = hashlib.sha256(io.dumps(entries, compact=True).encode()).hexdigest()[:16]
    (new / MANIFEST).write_text(io.dumps({"version": version, "files": entries}), encoding="utf-8")
    old = directory.with_name(f".geojson.old-{os.getpid()}")
    if directory.exists():
        directory.rename(old)
    new.rename(directory)
    shutil.rmtree(old, ignore_errors=True)
    return directory / name


def write_data_dir(path: str | Path, n: int, seed: int = 0, layers: tuple[str, ...] = ("enterprises",)) -> list[Path]:
    """Publish ``<path>/geojson/`` with ``<layer>.geojson`` for each of ``layers``; the app serves it via ``GBA_DATA_DIR``.

    Written as a whole dataset with its manifest (``geo.dataset.write_dataset``), keys
    sorted as in the build's files; orjson keeps writing 100k features to a second or
    two.  Returns the layer files written.
    """
    directory = Path(path) / "geojson"
    directory.parent.mkdir(parents=True, exist_ok=True)
    texts = {
        f"{layer}.geojson": orjson.dumps(
            generate_collection(n, seed=seed + offset, layer=layer), option=orjson.OPT_SORT_KEYS
        )
        + b"\n"
        for offset, layer in enumerate(layers)
    }
    write_dataset(directory, texts)
    return [directory / name for name in texts]
