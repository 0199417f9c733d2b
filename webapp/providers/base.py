"""The small interface every feature provider implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field


class ProviderConfigError(RuntimeError):
    """The provider cannot start (missing data directory, unreadable layer): a setup problem."""


@dataclass(frozen=True)
class Filters:
    """Equality filters on the queryable properties; None means "any"."""

    category: tuple[str, ...] | None = None
    jurisdiction: tuple[str, ...] | None = None
    status: tuple[str, ...] | None = None
    link_type: tuple[str, ...] | None = None
    cross_border: bool | None = None

    def key(self) -> tuple:
        return (self.category, self.jurisdiction, self.status, self.link_type, self.cross_border)


@dataclass
class Page:
    """One page of a query: the matching features' pre-serialised JSON and the counts."""

    layer: str
    items: list[bytes]
    number_matched: int
    offset: int
    limit: int | None
    ids: list[str] = field(default_factory=list)

    @property
    def number_returned(self) -> int:
        return len(self.items)


class FeatureProvider(ABC):
    """Read-only access to layers of GeoJSON features."""

    @abstractmethod
    def layers(self) -> list[str]:
        """The layer names this provider serves, in display order."""

    @abstractmethod
    def layer_info(self, layer: str) -> dict:
        """``{"count", "extent" [minx, miny, maxx, maxy], "etag", "properties"}`` of a layer."""

    @abstractmethod
    def query(
        self,
        layer: str,
        bbox: tuple[float, float, float, float] | None = None,
        filters: Filters | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Page:
        """Features of ``layer`` intersecting ``bbox`` and matching ``filters``, in id order."""

    @abstractmethod
    def get(self, layer: str, feature_id: str) -> bytes | None:
        """One feature's serialised JSON, or None when ``layer`` has no such id."""

    @abstractmethod
    def feature(self, layer: str, feature_id: str) -> dict | None:
        """One feature as a dict (for HTML pages), or None."""

    @abstractmethod
    def find(self, feature_id: str) -> tuple[str, dict] | None:
        """(layer, feature) for an id in any layer, or None."""

    @abstractmethod
    def jurisdictions(self, layer: str) -> set[str]:
        """Every jurisdiction named by the layer's features (links: either end)."""

    def version(self) -> str:
        """A short string that changes whenever any layer's content changes (for ETags)."""
        return "-".join(self.layer_info(layer)["etag"] for layer in self.layers())
