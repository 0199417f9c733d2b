/* Between the map and the store: the map's events become intents (a layer toggled, a basemap
 * chosen, a popup opened or closed, the view moved), and each change of the state is drawn
 * (groups, basemap and datum, selection, popups, flights).
 */

import { gcj02ToWgs84 } from "./datum.js";
import { viewBbox } from "./geometry.js";
import { round } from "./numbers.js";

export function createController({ map, basemaps, basemapInfo, store, dataset, drawing }) {
  let pendingClear = null;

  /** The view in WGS-84 (the address bar's coordinates), whatever the tiles' datum. */
  function currentView() {
    const toWgs = drawing.projector.datum === "gcj02" ? gcj02ToWgs84 : (lon, lat) => [lon, lat];
    const centre = map.getCenter().wrap();
    const [lon, lat] = toWgs(centre.lng, centre.lat);
    // Zoomed far out the view runs past the poles; panned round, past ±180 (a box across the antimeridian).
    const bounds = map.getBounds();
    const box = viewBbox(bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth());
    const sw = toWgs(box[0], box[1]);
    const ne = toWgs(box[2], box[3]);
    return { lat: round(lat, 7), lon: round(lon, 7), zoom: map.getZoom(), bbox: [sw[0], sw[1], ne[0], ne[1]] };
  }

  function showBasemap(key) {
    for (const [name, layer] of basemaps) {
      if (name !== key && map.hasLayer(layer)) map.removeLayer(layer);
    }
    const layer = basemaps.get(key);
    if (layer && !map.hasLayer(layer)) map.addLayer(layer);
  }

  /**
   * Select a record: its layer is shown; with ``reveal`` the filters and year that hide it
   * are cleared (else a hidden record is not selected).  ``move: "fly"`` brings it into
   * view; ``popup: false`` leaves its popup closed; ``autoPan: false`` keeps the map still.
   * Returns false when it cannot be shown.
   */
  function select(id, options = {}) {
    const record = dataset.get(id);
    if (!record) return false;
    clearTimeout(pendingClear);
    const state = store.state;
    const patch = { selected: id };
    if (!state.layers.includes(record.layer)) patch.layers = [...state.layers, record.layer];
    const revealed = !dataset.evaluate(state).passes.has(id);
    if (revealed) {
      if (!options.reveal) return false;
      patch.filters = new Map();
      patch.year = null;
    }
    const layer = drawing.layerOf(id);
    const openPopup = options.popup !== false || Boolean(layer?.isPopupOpen());
    store.update(patch, {
      reason: "selection",
      revealed: revealed ? id : null,
      openPopup,
      move: options.move,
      autoPan: options.autoPan,
      announce: options.announce !== false,
    });
    if (state.selected === id && !revealed) {
      // Already selected: no state changes, but the reader still asked to see it.
      const open = () => {
        if (openPopup) drawing.openPopupFor(record, options.autoPan);
      };
      if (options.move === "fly") drawing.flyTo(record, open);
      else open();
    }
    return true;
  }

  function clearSelection() {
    clearTimeout(pendingClear);
    store.clearSelection();
  }

  /** Centre on a record and select it (clearing what hides it). */
  function focus(id, zoom) {
    const record = dataset.get(id);
    if (!record) return false;
    drawing.centreOn(record, zoom);
    return select(id, { reveal: true });
  }

  function drawChange(state, previous, change) {
    if (state.basemap !== previous.basemap) {
      showBasemap(state.basemap);
      drawing.setDatum(basemapInfo.get(state.basemap)?.datum || "wgs84");
    }
    const redraw = ["filters", "year", "selected", "layers", "basemap"].some((key) => state[key] !== previous[key]);
    if (!redraw) return;
    if (previous.selected !== null && previous.selected !== state.selected) drawing.closePopupOf(previous.selected);
    drawing.refresh(state);
    const record = state.selected === null ? null : dataset.get(state.selected);
    if (!record) return;
    if (state.basemap !== previous.basemap) {
      drawing.openPopupFor(record); // moved with the datum: its popup goes with it
      return;
    }
    if (change.reason !== "selection" || state.selected === previous.selected) return;
    const open = () => {
      if (change.openPopup) drawing.openPopupFor(record, change.autoPan);
    };
    if (change.move === "fly") drawing.flyTo(record, open);
    else open();
  }

  function watchPopups(group) {
    group.on("popupopen", (event) => {
      if (drawing.isQuiet()) return;
      const id = drawing.idOf(event.propagatedFrom || event.layer);
      if (id === null) return;
      clearTimeout(pendingClear);
      if (id !== store.state.selected) select(id, { popup: true });
    });
    group.on("popupclose", (event) => {
      // Closing the popup (its button, a click on the map, Escape) ends the selection; when
      // another popup is opening, its popupopen comes next and selects that one instead.
      if (drawing.isQuiet()) return;
      const id = drawing.idOf(event.propagatedFrom || event.layer);
      if (id === null || id !== store.state.selected) return;
      clearTimeout(pendingClear);
      pendingClear = setTimeout(() => store.clearSelection(), 0);
    });
  }

  function start() {
    store.subscribe(drawChange);
    for (const group of [...drawing.groups.values(), ...drawing.spotlights.values()]) watchPopups(group);
    const groupNames = new Map([...drawing.groups].map(([name, group]) => [group, name]));
    map.on("overlayadd overlayremove", (event) => {
      const name = groupNames.get(event.layer);
      if (name && !drawing.isQuiet()) store.setLayerVisible(name, event.type === "overlayadd", { source: "map" });
    });
    map.on("baselayerchange", (event) => {
      const chosen = [...basemaps].find(([, layer]) => layer === event.layer);
      if (chosen) store.setBasemap(chosen[0], { source: "map" });
    });
    map.on("moveend", () => store.setView(currentView(), { source: "map" }));
    showBasemap(store.state.basemap);
    drawing.refresh(store.state);
  }

  return { select, clearSelection, focus, start, currentView };
}
