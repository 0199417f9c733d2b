/* Drawing the records: one Leaflet group per layer (points clustered), a "spotlight" group
 * per point layer for the highlighted markers, and one canvas for every feature.
 *
 * ``refresh`` works out where each record belongs from the store's state (its layer's
 * group, the spotlight, or nowhere) and moves and restyles only what changed.
 */

import { L } from "./leaflet.js";
import { createChooser } from "./same-point.js";
import { clusterIcon, createProjector, makeShape, placeShape, placeStub } from "./shapes.js";
import { lookKey, styleFor } from "./style.js";

// Draw order on the one canvas, back to front: the topmost feature under the pointer gets
// the click, so markers stay clickable where links end at them.
const STACK = ["polygon", "link", "point"];

function layersOf(shapes) {
  const layers = [];
  for (const shape of shapes) {
    layers.push(shape.layer);
    if (shape.arrow) layers.push(shape.arrow);
    if (shape.label) layers.push(shape.label);
  }
  return layers;
}

export function createDrawing(app) {
  const { map, config, basemapInfo, store, dataset, looks, popups, names, i18n } = app;
  // One canvas for every feature (stacked canvases would hide the lower ones from the
  // pointer); lines are thin, so the hit area is widened.
  map.options.renderer = L.canvas({ padding: 0.5, tolerance: 6 });
  map.setMaxZoom(config.maxZoom); // the URL accepts zoom 0-18: keep links valid
  const projector = createProjector(config);
  projector.datum = basemapInfo.get(store.state.basemap)?.datum || "wgs84";
  const groups = new Map();
  const spotlights = new Map();
  const shapes = new Map(); // record id → {layer, arrow, container, styleKey, planned}
  const idOfLayer = new WeakMap();
  const stale = new WeakSet(); // cluster groups to refill in one batch when shown
  const chooser = createChooser(app);
  const stubText = (record, end) =>
    i18n.t("outside_stub", {
      place: names.valueLabel("jurisdiction", record.p[`${end}_jurisdiction`]),
      name: names.name(record.p, `${end}_name`),
    });
  // A marker drawn away from its place (spiderfied) is already told apart: it opens its own popup.
  const pickPoint = (record, latlng) =>
    latlng.equals(projector.toLatLng(record.feature.geometry.coordinates, record.p.jurisdiction)) &&
    chooser.pickPoint(record, latlng);
  const context = { map, projector, looks, popups, config, stubText, pickPoint };
  let highlight = null;
  let shownLayers = new Set();
  let quiet = 0; // > 0 while we move layers ourselves: their popup events are not the reader's

  // Layers drawn from vector tiles (tiled.js): only their selected records are drawn here.
  const tiled = new Set();
  for (const overlay of config.overlays) {
    if (overlay.tiled) tiled.add(overlay.name);
    const group =
      overlay.kind === "point"
        ? L.markerClusterGroup({
            // Big layers are clustered in slices of 100 ms so the page keeps answering.
            chunkedLoading: true,
            chunkInterval: 100,
            maxClusterRadius: 36,
            showCoverageOnHover: false,
            spiderfyDistanceMultiplier: 1.6,
            iconCreateFunction: clusterIcon(overlay.colour),
            // Clicks are ours: a bubble whose markers share one spot opens the chooser.
            zoomToBoundsOnClick: false,
            spiderfyOnMaxZoom: false,
          })
        : L.featureGroup();
    groups.set(overlay.name, group);
    if (overlay.kind === "point" && !config.static) group.on("clusterclick", clusterClick);
    if (overlay.kind === "point") spotlights.set(overlay.name, L.featureGroup());
  }

  function clusterClick(event) {
    const cluster = event.layer;
    if (chooser.pickCluster(cluster, (marker) => idOfLayer.get(marker) ?? null)) return;
    if (map.getZoom() >= map.getMaxZoom()) cluster.spiderfy();
    else cluster.zoomToBounds({ padding: [20, 20] });
  }

  /** Stubs of links leaving the region keep their screen length: redrawn at every zoom. */
  const stubbed = []; // records drawn as stubs
  function placeStubs() {
    for (const record of stubbed) placeStub(shapes.get(record.id), record, context);
  }
  map.on("zoomend", placeStubs);

  function silently(work) {
    quiet += 1;
    try {
      return work();
    } finally {
      quiet -= 1;
    }
  }

  function rebuild(group) {
    if (!stale.has(group)) return;
    stale.delete(group);
    const members = [];
    for (const shape of shapes.values()) if (shape.container === group) members.push(shape);
    silently(() => {
      group.clearLayers();
      group.addLayers(layersOf(members));
    });
  }

  // Moves go in two passes, every removal before any addition: a marker moving from its
  // cluster group to the spotlight must leave the map's cluster first, or the cluster's
  // removal would take it off the map again.
  function removeFor(move) {
    const group = move.group;
    if (!move.leaving.length && !move.arriving.length) return;
    if (group.removeLayers && !map.hasLayer(group)) {
      // Off the map a cluster group searches a plain array for every marker it is given:
      // leave it be, and fill it in one batch when it is shown.
      stale.add(group);
      move.done = true;
      return;
    }
    if (group.removeLayers) {
      // Removing markers one by one costs far more than re-adding the few that stay.
      if (move.leaving.length > move.members.length) {
        group.clearLayers();
        move.rebuild = true;
      } else if (move.leaving.length) {
        group.removeLayers(layersOf(move.leaving));
      }
      return;
    }
    for (const layer of layersOf(move.leaving)) group.removeLayer(layer);
  }

  function addFor(move) {
    const group = move.group;
    if (move.done || (!move.leaving.length && !move.arriving.length)) return;
    if (move.rebuild) group.addLayers(layersOf(move.members));
    else if (group.addLayers) {
      if (move.arriving.length) group.addLayers(layersOf(move.arriving));
    } else {
      for (const layer of layersOf(move.arriving)) group.addLayer(layer);
    }
  }

  function restack() {
    // The canvas draws in the order layers were added: polygons, links, markers, and
    // within each kind the highlighted ones last (on top).
    for (const kind of STACK) {
      for (const highlighted of [false, true]) {
        for (const record of dataset.records) {
          if (record.kind !== kind || Boolean(highlight?.has(record.id)) !== highlighted) continue;
          const layer = shapes.get(record.id)?.layer;
          if (layer?.bringToFront && map.hasLayer(layer)) layer.bringToFront();
        }
      }
    }
  }

  function style(record, shape, role, year) {
    // Restyles the record when its look changed; true when the canvas needs restacking.
    const planned = looks.isPlannedAt(record.p, year);
    const dim = Boolean(highlight) && !role;
    const key = lookKey(planned, dim, role);
    if (key === shape.styleKey) return false;
    shape.styleKey = key;
    shape.planned = planned;
    const colour = record.kind === "link" ? looks.linkColour(record.p.link_type) : looks.layerColour(record.layer);
    const approximate = looks.isApproximate(record.p, popups.knownPrecision(record.p));
    shape.layer.setStyle(styleFor({ kind: record.kind, colour, planned, approximate, role, dim }));
    if (shape.arrow) shape.arrow.setOpacity(dim ? 0.2 : 1);
    if (shape.label) shape.label.setOpacity(dim ? 0.35 : 1);
    return Boolean(role) && record.kind !== "point";
  }

  function syncGroups(state) {
    // The layer control adds and removes the groups itself; the spotlights follow them here.
    const visible = new Set(state.layers);
    let added = false;
    silently(() => {
      for (const [name, group] of groups) {
        const spotlight = spotlights.get(name);
        const on = visible.has(name);
        if (on !== map.hasLayer(group)) {
          if (on) map.addLayer(group);
          else map.removeLayer(group);
        }
        if (spotlight && on !== map.hasLayer(spotlight)) {
          if (on) map.addLayer(spotlight);
          else map.removeLayer(spotlight);
        }
        if (on && stale.has(group)) {
          rebuild(group);
          added = true;
        }
        if (on && !shownLayers.has(name)) added = true;
      }
    });
    shownLayers = visible;
    return added;
  }

  function refresh(state) {
    let needsRestack = syncGroups(state);
    const view = dataset.evaluate(state);
    highlight = view.highlight;
    const moves = new Map(); // per container: its members after the move, what leaves and what arrives
    const batch = (group) => {
      if (!moves.has(group)) moves.set(group, { group, members: [], leaving: [], arriving: [] });
      return moves.get(group);
    };
    for (const record of dataset.records) {
      const shape = shapes.get(record.id);
      const role = highlight?.get(record.id) || null;
      let target = null;
      if (view.passes.has(record.id) && (role || !tiled.has(record.layer))) {
        target = role && record.kind === "point" ? spotlights.get(record.layer) : groups.get(record.layer);
      }
      if (target) batch(target).members.push(shape);
      if (target !== shape.container) {
        if (shape.container) batch(shape.container).leaving.push(shape);
        if (target) batch(target).arriving.push(shape);
        if (target && record.kind !== "point") needsRestack = true;
        shape.container = target;
      }
      if (style(record, shape, role, state.year)) needsRestack = true;
    }
    silently(() => {
      for (const move of moves.values()) removeFor(move);
      for (const move of moves.values()) addFor(move);
    });
    map.getContainer().classList.toggle("gba-dimmed", Boolean(highlight));
    placeStubs(); // their labels name the far end from the data loaded so far
    if (needsRestack || highlight) restack();
  }

  function openPopupFor(record, autoPan) {
    const layer = shapes.get(record.id)?.layer;
    if (!layer || !map.hasLayer(layer) || layer.isPopupOpen()) return;
    const popup = layer.getPopup();
    const pan = popup.options.autoPan;
    if (autoPan === false) popup.options.autoPan = false;
    silently(() => {
      if (layer.getLatLng) layer.openPopup();
      else layer.openPopup(layer.getCenter());
    });
    popup.options.autoPan = pan;
  }

  function closePopupOf(id) {
    const layer = shapes.get(id)?.layer;
    if (layer?.isPopupOpen()) silently(() => layer.closePopup());
  }

  function flyTo(record, then) {
    const layer = shapes.get(record.id).layer;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      then();
    };
    if (layer.getLatLng) {
      const at = layer.getLatLng();
      const zoom = Math.max(map.getZoom(), 13);
      if (map.getBounds().pad(-0.1).contains(at) && map.getZoom() >= zoom) return finish();
      map.once("moveend", finish);
      map.flyTo(at, zoom, { duration: 0.6 });
    } else {
      map.once("moveend", finish);
      map.flyToBounds(layer.getBounds(), { padding: [40, 40], maxZoom: 14, duration: 0.6 });
    }
    setTimeout(finish, 900); // a fly that goes nowhere never fires moveend
  }

  function setDatum(datum) {
    if (datum === projector.datum) return;
    projector.datum = datum;
    // Take every record off, move it, and put back what belongs: one batch per group.
    silently(() => {
      map.closePopup();
      for (const [name, group] of groups) {
        group.clearLayers();
        spotlights.get(name)?.clearLayers();
      }
      for (const record of dataset.records) {
        const shape = shapes.get(record.id);
        shape.container = null;
        shape.styleKey = null;
        placeShape(shape, record, context);
      }
    });
  }

  return {
    groups,
    spotlights,
    projector,
    isQuiet: () => quiet > 0,
    /** Shapes for new records, styled ahead of refresh (a big layer's batches share out the work). */
    add(records) {
      const year = store.state.year;
      chooser.add(records);
      for (const record of records) {
        const shape = { ...makeShape(record, context), container: null, styleKey: null, planned: false };
        shapes.set(record.id, shape);
        idOfLayer.set(shape.layer, record.id);
        if (shape.stub) stubbed.push(record);
        style(record, shape, highlight?.get(record.id) || null, year);
      }
    },
    refresh,
    setDatum,
    openPopupFor,
    closePopupOf,
    flyTo,
    /** The record id a Leaflet layer draws (null for anything else). */
    idOf: (layer) => idOfLayer.get(layer) ?? null,
    layerOf: (id) => shapes.get(id)?.layer ?? null,
    isPlanned: (id) => Boolean(shapes.get(id)?.planned),
    highlight: () => highlight,
    /** Centre the map on a record (at ``zoom``, or close enough to see it). */
    centreOn(record, zoom) {
      const layer = shapes.get(record.id).layer;
      const hasZoom = zoom !== null && zoom !== undefined;
      if (layer.getLatLng) map.setView(layer.getLatLng(), hasZoom ? zoom : 14, { animate: false });
      else if (hasZoom) map.setView(layer.getBounds().getCenter(), zoom, { animate: false });
      else map.fitBounds(layer.getBounds(), { maxZoom: 14, animate: false });
    },
  };
}
