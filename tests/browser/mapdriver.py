"""Small helpers that read and drive the Leaflet map in a Playwright page or frame.

They go through the page's documented test surface, ``window.GBAMap`` (see the top of
webapp/static/js/main.js and docs/frontend.md), roles and data-* attributes: never the
private fields of a module.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urljoin

from playwright.sync_api import Frame, Page

# Features of an overlay that are on the map: a path added to the map, or a marker
# represented by a visible cluster bubble (or highlighted, out of the clusters, while
# something is selected).  Arrowheads (markers) are not counted.
DRAWN_JS = """
(name) => {
  const map = GBAMap.map, group = GBAMap.group(name);
  const out = {points: 0, polygons: 0, lines: 0};
  if (!map.hasLayer(group)) return out;
  const count = (layer, owner) => {
    if (!(layer instanceof L.Path)) return;
    const parent = owner.getVisibleParent ? owner.getVisibleParent(layer) : null;
    if (!map.hasLayer(layer) && !(parent && map.hasLayer(parent))) return;
    if (layer instanceof L.CircleMarker) out.points++;
    else if (layer instanceof L.Polygon) out.polygons++;
    else if (layer instanceof L.Polyline) out.lines++;
  };
  group.eachLayer((layer) => count(layer, group));
  const spotlight = GBAMap.spotlight(name);
  if (spotlight) spotlight.eachLayer((layer) => count(layer, spotlight));
  return out;
}
"""

# Bring a feature's marker out of any cluster, then return its position in the page.
EXPOSE_JS = """
async (id) => {
  const map = GBAMap.map, group = GBAMap.group(GBAMap.recordLayer(id)), layer = GBAMap.layer(id);
  const at = layer.getLatLng ? layer.getLatLng() : layer.getCenter();
  map.setView(at, 15, {animate: false});
  if (layer.getLatLng && !map.hasLayer(layer)) {
    await new Promise((done) => group.zoomToShowLayer(layer, done));
  }
  const point = map.latLngToContainerPoint(layer.getLatLng ? layer.getLatLng() : layer.getCenter());
  const box = map.getContainer().getBoundingClientRect();
  return [box.left + point.x, box.top + point.y];
}
"""

# Fit the view to every feature (some lie outside the GBA, e.g. in Beijing): clusters
# only draw the markers inside the view.
SHOW_ALL_JS = """
() => {
  const bounds = L.latLngBounds([]);
  GBAMap.state().layers.forEach((name) => {
    const group = GBAMap.group(name);
    if (group.getLayers().length) bounds.extend(group.getBounds());
  });
  GBAMap.map.fitBounds(bounds, {animate: false});
}
"""

PAINTED_JS = "new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"


def open_map(page: Page | Frame, url: str | None = None) -> dict:
    """Load ``url`` (if given), wait until every layer has been fetched and drawn."""
    if url is not None:
        page.goto(url)
    page.wait_for_function("() => window.GBAMap && window.GBAMap.ready")
    result = page.evaluate("GBAMap.ready")
    assert result["failed"] == [], f"layers failed to load: {result['failed']}"
    page.evaluate(PAINTED_JS)
    return result


def show_all(page: Page | Frame) -> None:
    page.evaluate(SHOW_ALL_JS)
    page.evaluate(PAINTED_JS)


def drawn(page: Page | Frame, layer: str) -> dict:
    return page.evaluate(DRAWN_JS, layer)


def expose(page: Page, feature_id: str) -> tuple[float, float]:
    x, y = page.evaluate(EXPOSE_JS, feature_id)
    page.evaluate(PAINTED_JS)
    return x, y


def settle(page: Page) -> None:
    """Wait for cluster and popup transitions to finish, then for a paint: stable screenshots."""
    page.wait_for_function("() => document.getAnimations().length === 0")
    page.evaluate(PAINTED_JS)


def popup(page: Page | Frame):
    return page.locator(".leaflet-popup-content .gba-popup")


def layer_control(page: Page | Frame):
    """The layer control, opened by its button (it starts collapsed)."""
    control = page.locator(".leaflet-control-layers")
    toggle = control.locator(".gba-layers-toggle")
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    return control


def list_ids(page: Page | Frame) -> list[str]:
    """The ids in the list view, in its order (every item: the list is never cut in these tests)."""
    return page.eval_on_selector_all("#gba-list-body button[data-id]", "(items) => items.map((b) => b.dataset.id)")


def fetch_json(page: Page | Frame, url: str):
    """GET ``url`` (relative to the page) outside the page, as a reader's download would."""
    client = page.page.request if isinstance(page, Frame) else page.request
    response = client.get(urljoin(page.url, url))
    assert response.ok, (url, response.status, response.text())
    return response.json()


def download_url(page: Page | Frame) -> str:
    """The download URL the page builds (the full page has a button; the embed builds the same URL)."""
    return page.evaluate("GBAMap.downloadUrl()")


def download_ids(page: Page | Frame) -> list[str]:
    """The ids in the file the download URL gives for the current state."""
    href = download_url(page)
    return [f["properties"]["id"] for f in fetch_json(page, href)["features"]] if href else []


def state(page: Page | Frame) -> dict:
    """The map's state as a reader would describe it: filters, year, selection, layers, basemap, view."""
    snapshot = page.evaluate("GBAMap.state()")
    lat, lon = snapshot.pop("center")
    return {**snapshot, "lat": lat, "lon": lon}


def select(page: Page | Frame, feature_id: str, **options) -> bool:
    """Select a record as a click on the map would (options: reveal, move, popup, autoPan)."""
    return page.evaluate("([id, options]) => GBAMap.select(id, options)", [feature_id, options])


def focus(page: Page | Frame, feature_id: str) -> bool:
    """Centre on a record and select it, as ?focus= does."""
    return page.evaluate("(id) => GBAMap.focus(id)", feature_id)


def layer_style(page: Page | Frame, feature_id: str, option: str):
    """An option of the Leaflet layer drawing a record (dashArray, weight, opacity...)."""
    return page.evaluate("([id, option]) => GBAMap.layer(id).options[option]", [feature_id, option])


def on_map(page: Page | Frame, feature_id: str) -> bool:
    return page.evaluate("(id) => GBAMap.map.hasLayer(GBAMap.layer(id))", feature_id)


def container_point(page: Page | Frame, lat: float, lon: float, zoom: int | None = None) -> tuple[float, float]:
    """Where (lat, lon) is in the page, after centring the map there (at ``zoom`` when given)."""
    return tuple(
        page.evaluate(
            """([lat, lon, zoom]) => { const m = GBAMap.map;
                   if (zoom !== null) m.setView([lat, lon], zoom, {animate: false});
                   const p = m.latLngToContainerPoint([lat, lon]), b = m.getContainer().getBoundingClientRect();
                   return [b.left + p.x, b.top + p.y]; }""",
            [lat, lon, zoom],
        )
    )


def wait_for_url(page: Page | Frame, fragment: str) -> str:
    """The address bar once it carries ``fragment`` (the map writes it a moment after a change)."""
    page.wait_for_function("(part) => window.location.href.includes(part)", arg=fragment)
    return page.evaluate("window.location.href")


def features(data_dir: Path, layer: str) -> list[dict]:
    return json.loads((data_dir / "geojson" / f"{layer}.geojson").read_text(encoding="utf-8"))["features"]
