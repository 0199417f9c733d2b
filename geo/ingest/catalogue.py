"""What extraction compares an article against: the records we have and the places we know.

``Catalogue`` is read from the source tables (records with their names and aliases, and the links
between them); ``Places`` is the offline gazetteer: the district, city and SAR names of the boundary
data and the rows of ``data/gazetteer.csv``, each with the short forms the press prints (坪山 for
坪山区, 香港 for 香港特别行政区).  Both are plain values, so ``extract.propose`` stays pure.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from geo.sources import read_sources
from geo.text import normalise_query, to_traditional


@dataclass(frozen=True)
class Entry:
    """One existing record: its id, layer, category and every name it may be printed as."""

    id: str
    layer: str
    category: str
    name_zh_hant: str
    names: tuple[str, ...]  # zh_hant, zh_hans, en and the aliases, as written


@dataclass(frozen=True)
class Catalogue:
    records: tuple[Entry, ...] = ()
    links: tuple[tuple[str, str, str], ...] = ()  # (id, from, to)

    @classmethod
    def empty(cls) -> Catalogue:
        return cls()

    @classmethod
    def from_sources(cls, sources_dir: Path, exclude: Callable[[str], bool] | None = None) -> Catalogue:
        """The records and links of ``sources_dir``; ``exclude(citation)`` true drops what cites it.

        A record or link is dropped when any of its sources is excluded: ``exclude=lambda c:
        c.startswith("takungpao-")`` gives the catalogue the seed article was scored against blind.
        """
        tables = read_sources(Path(sources_dir))

        def kept(data: dict) -> bool:
            if exclude is None:
                return True
            cited = [s.get("citation") for s in data.get("sources") or () if isinstance(s, dict)]
            return not any(isinstance(c, str) and exclude(c) for c in cited)

        records = []
        for record in tables.records:
            data = record.data
            if record.id is None or not kept(data):
                continue
            names = [data.get(key) for key in ("name_zh_hant", "name_zh_hans", "name_en")]
            names += list(data.get("aliases") or ())
            records.append(
                Entry(
                    id=record.id,
                    layer=record.layer,
                    category=str(data.get("category", "")),
                    name_zh_hant=str(data.get("name_zh_hant", "")),
                    names=tuple(n for n in names if isinstance(n, str) and n.strip()),
                )
            )
        ids = {entry.id for entry in records}
        links = tuple(
            (link.id, link.data.get("from"), link.data.get("to"))
            for link in tables.links
            if link.id and kept(link.data) and link.data.get("from") in ids and link.data.get("to") in ids
        )
        return cls(tuple(records), links)

    def has_link(self, a: str, b: str) -> bool:
        return any({f, t} == {a, b} for _, f, t in self.links)


# Endings an administrative name drops when the press prints it short, longest first.
_SHORTENED_ENDINGS = ("特别行政区", "区", "市", "县")


@dataclass(frozen=True)
class Place:
    """A name the offline geocoder resolves: ``place`` is what a source ``location.place`` says."""

    place: str  # as the gazetteer or the boundary data spells it (Simplified)
    name_zh_hant: str
    name_en: str
    level: str  # district | city (a gazetteer row says district)
    in_gba: bool


@dataclass(frozen=True)
class Places:
    by_name: dict[str, Place] = field(default_factory=dict)  # normalised printed form -> place

    @classmethod
    def empty(cls) -> Places:
        return cls({})

    @classmethod
    def from_data(cls, data_dir: Path) -> Places:
        """Every unit of ``data_dir/boundaries/gba_admin.geojson`` and row of ``gazetteer.csv``."""
        data_dir = Path(data_dir)
        places: list[Place] = []
        with open(data_dir / "boundaries" / "gba_admin.geojson", encoding="utf-8") as handle:
            units = [f["properties"] for f in json.load(handle)["features"]]
        jurisdictions = {}
        for unit in units:
            in_gba = unit["jurisdiction"] != "Beijing"
            places.append(Place(unit["name_zh_hans"], unit["name_zh_hant"], unit["name_en"], unit["level"], in_gba))
            jurisdictions[unit["jurisdiction_zh_hans"]] = Place(
                unit["jurisdiction_zh_hans"], unit["jurisdiction_zh_hant"], unit["jurisdiction"], "city", in_gba
            )
        places.extend(jurisdictions.values())
        gazetteer = data_dir / "gazetteer.csv"
        if gazetteer.exists():
            with open(gazetteer, encoding="utf-8", newline="") as handle:
                for row in csv.DictReader(handle):
                    places.append(Place(row["name"], to_traditional(row["name"]), "", row["precision"], True))
        return cls.of(places)

    @classmethod
    def of(cls, places: list[Place]) -> Places:
        """Index ``places`` by their full and short printed forms (a short form two names share is dropped)."""
        by_name: dict[str, Place] = {}
        shared: set[str] = set()
        for place in places:
            full = normalise_query(place.place)
            by_name.setdefault(full, place)
            if not place.in_gba:
                continue  # 朝阳, 西城 ... are ordinary words far more often than Beijing districts
            for ending in _SHORTENED_ENDINGS:
                if full.endswith(ending) and len(full) - len(ending) >= 2:
                    short = full[: -len(ending)]
                    if short in by_name and by_name[short] != place:
                        shared.add(short)
                    by_name.setdefault(short, place)
                    break
        for short in shared:
            if normalise_query(by_name[short].place) != short:
                del by_name[short]
        return cls(by_name)

    def find(self, name: str) -> Place | None:
        return self.by_name.get(normalise_query(name))
