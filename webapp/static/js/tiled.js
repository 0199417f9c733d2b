/* Layers drawn from vector tiles: too big to download whole (the page config marks them
 * ``tiled``).  Loaded with import() by main.js only on a page that has one, with the vendored
 * Leaflet.VectorGrid (webapp/static/vendor/), so other pages never fetch either.
 *
 * Each tiled layer is a VectorGrid on canvas tiles inside the layer's group (the layer control
 * shows and hides it like any other).  A tile carries a few properties per feature
 * (webapp/tiles.py TILE_PROPERTIES, ``id`` among them): enough to style it and to find it under
 * the pointer.  A click, a search result, a list item or a ``select=`` link fetches the whole
 * record from the OGC API and adds it to the dataset: from there it is selected, drawn
 * highlighted above the tiles and opens the same popup as every other record.  The filters and
 * the year go into the tile URLs (the server filters); counts come from the API's numberMatched.
 */

import { L } from "./leaflet.js";
import { tiledPart } from "./list-tiled.js";
import { compileMatcher } from "./query.js";
import { styleFor } from "./style.js";
import { asFeature, filtersInTiles, itemsUrl, itemUrl, tileUrl } from "./tiles.js";

const VECTORGRID = "../vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js";
const PANE = "gbaTiles"; // above the basemaps, below the records drawn on the map's own canvas
const HIT_SLOP = 4; // px: a click this close to a point still takes it

function loadScript(url) {
  if (globalThis.L?.vectorGrid) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = url;
    script.onload = () => resolve();
    script.onerror = () => reject(new Error(`cannot load ${url}`));
    document.head.appendChild(script);
  });
}

function getJson(url) {
  return fetch(url, { credentials: "same-origin" }).then((response) => {
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  });
}

/**
 * Draw the tiled layers from tiles: their names go to ``loaded`` (or ``failed``, with a line in
 * the error box of ``controls``).  Sets ``app.tiled``; extends the controller's ``select`` and
 * ``focus`` (a record not loaded is fetched first: they return a promise) and the dataset's
 * counts (a tiled layer's come from the API), so the modules every page loads stay small.
 */
export function startTiles(app, controls, loaded, failed) {
  const overlays = app.config.overlays.filter((overlay) => overlay.tiled);
  return drawTiles(app, overlays, controls.updateCounts).then(
    (handle) => {
      app.tiled = handle;
      loaded.push(...overlays.map((overlay) => overlay.name));
    },
    (error) => {
      failed.push(...overlays.map((overlay) => overlay.name));
      console.error("GBA map: cannot draw the tiled layers", error);
      for (const overlay of overlays) controls.showError(overlay.label);
    },
  );
}

async function drawTiles(app, overlays, onCounts) {
  const { map, config, store, dataset, drawing, looks } = app;
  await loadScript(new URL(VECTORGRID, import.meta.url).href);
  const urls = config.urls;
  const queryables = config.queryables || [];
  const serverFilters = filtersInTiles(urls);
  const yearQueryable = queryables.find((q) => q.kind === "year");
  if (!map.getPane(PANE)) map.createPane(PANE).style.zIndex = "350";

  let matches = null; // an archive's tiles hold every feature: the page filters them
  const compile = (state) => {
    if (serverFilters) return;
    const query = new Map(state.filters);
    if (yearQueryable) query.set(yearQueryable.name, state.year);
    matches = compileMatcher(query, queryables);
  };
  compile(store.state);

  const layers = new Map(); // layer name → its VectorGrid
  const overlayOf = new Map(overlays.map((overlay) => [overlay.name, overlay]));
  const pending = new Map(); // id → the promise of its record
  const events = new Map(); // layer name → {requested, loaded} tile counts (GBAMap.tiles)

  function look(overlay, properties) {
    if (matches && !matches(properties)) return [];
    const year = store.state.year;
    const planned = looks.isPlannedAt(properties, year);
    const approximate = looks.isApproximate(properties, false);
    return styleFor({ kind: overlay.kind, colour: overlay.colour, planned, approximate, role: null, dim: false });
  }

  for (const overlay of overlays) {
    const tally = { requested: 0, loaded: 0 };
    events.set(overlay.name, tally);
    const grid = L.vectorGrid.protobuf(tileUrl(urls, overlay.name, store.state, queryables), {
      pane: PANE,
      rendererFactory: L.canvas.tile,
      interactive: false, // our click finds the feature (the map's own canvas lies above the tiles)
      // Leaflet.VectorGrid takes its styles as an object keyed by the tiles' layer names: ours.
      vectorTileLayerStyles: { [overlay.name]: (properties) => look(overlay, properties) },
      // Kept per tile for the click; prefixed, as VectorGrid keys a plain object by it.
      getFeatureId: (feature) => `#${feature.properties.id}`,
      updateWhenZooming: false,
      maxZoom: config.maxZoom,
    });
    grid.on("tileloadstart", () => {
      tally.requested += 1;
    });
    grid.on("tileload", () => {
      tally.loaded += 1;
    });
    layers.set(overlay.name, grid);
    // Shown and hidden with the layer's group (the layer control's entry, holding its selected
    // records only); drawn in its own pane, under the map's canvas.
    const group = drawing.groups.get(overlay.name);
    group.on("add", () => map.addLayer(grid));
    group.on("remove", () => map.removeLayer(grid));
    if (map.hasLayer(group)) map.addLayer(grid);
  }

  /** The id of the topmost tiled feature under a click (or within a few px of a point), or null. */
  function hit(event) {
    const point = event.layerPoint;
    let found = null;
    for (const name of store.state.layers) {
      const grid = layers.get(name);
      if (!grid || !map.hasLayer(grid)) continue;
      // Leaflet.VectorGrid keeps each tile's renderer (and, with getFeatureId, its features) here.
      for (const tile of Object.values(grid._vectorTiles || {})) {
        if (!tile._map) continue;
        const local = point.subtract(tile.getOffset());
        const size = tile._size;
        if (local.x < -HIT_SLOP || local.y < -HIT_SLOP || local.x > size.x + HIT_SLOP || local.y > size.y + HIT_SLOP)
          continue;
        for (const { feature } of Object.values(tile._features || {})) {
          if (!feature._containsPoint) continue;
          const inside = feature._point
            ? feature._point.distanceTo(local) <= (feature._radius || 0) + HIT_SLOP
            : feature._containsPoint(local);
          if (inside && typeof feature.properties?.id === "string") found = { layer: name, id: feature.properties.id };
        }
      }
    }
    return found;
  }

  // A click on a record of the map's own canvas reaches the map too: that one is not ours.
  let recordClick = null;
  for (const group of [...drawing.groups.values(), ...drawing.spotlights.values()]) {
    group.on("click", (event) => {
      recordClick = event.originalEvent;
    });
  }
  map.on("click", (event) => {
    if (event.originalEvent === recordClick || config.static) return;
    const found = hit(event);
    if (found) app.actions.select(found.id, { popup: true, layer: found.layer });
  });

  /** Add a fetched feature of ``layer`` to the dataset and the drawing; its record (or null). */
  function remember(layer, item) {
    const overlay = overlayOf.get(layer);
    const feature = asFeature(item);
    if (!overlay || !feature) return null;
    const id = feature.properties.id;
    if (!dataset.get(id)) drawing.add(dataset.add(overlay, [feature]));
    return dataset.get(id);
  }

  /** The record of ``id`` (fetched from ``layer``, or from each tiled layer in turn); null if none has it. */
  function fetchRecord(id, layer) {
    const known = dataset.get(id);
    if (known) return Promise.resolve(known);
    if (!pending.has(id)) {
      const names = layer && overlayOf.has(layer) ? [layer] : [...overlayOf.keys()];
      const attempt = (index) => {
        if (index >= names.length) return Promise.resolve(null);
        return getJson(itemUrl(urls, names[index], id)).then(
          (item) => remember(names[index], item),
          () => attempt(index + 1),
        );
      };
      pending.set(
        id,
        attempt(0).finally(() => pending.delete(id)),
      );
    }
    return pending.get(id);
  }

  /** The counts of the state's filters: each layer's numberMatched (one feature asked for). */
  let countToken = 0;
  function recount(state) {
    const token = ++countToken;
    return Promise.all(
      overlays.map((overlay) =>
        getJson(itemsUrl(urls, overlay.name, state, queryables, { limit: 1 })).then(
          (body) => [overlay.name, typeof body.numberMatched === "number" ? body.numberMatched : null],
          () => [overlay.name, null],
        ),
      ),
    ).then((pairs) => {
      if (token !== countToken) return;
      for (const [name, count] of pairs) if (count !== null) counts.set(name, count);
      onCounts();
    });
  }

  store.subscribe((state, previous) => {
    if (state.filters === previous.filters && state.year === previous.year) return;
    compile(state);
    for (const [name, grid] of layers) {
      if (serverFilters) grid.setUrl(tileUrl(urls, name, state, queryables));
      else grid.redraw();
    }
    recount(state);
  });

  // The dataset counts the records it holds: a tiled layer's count is the server's.  Its
  // records there (fetched whole) are not "shown" (listed): the list pages them (list-tiled.js).
  const counts = new Map();
  const evaluate = dataset.evaluate.bind(dataset);
  dataset.evaluate = (state) => {
    const view = evaluate(state);
    for (const [name, count] of counts) view.counts.set(name, count);
    const shown = view.shown;
    return { ...view, shown: (record) => shown(record) && !overlayOf.has(record.layer) };
  };
  // A record not loaded yet is fetched, then selected (a promise of whether it could be).
  const { select, focus } = app.actions;
  app.actions.select = (id, options = {}) =>
    dataset.get(id)
      ? select(id, options)
      : fetchRecord(id, options.layer).then((got) => Boolean(got) && select(id, options));
  app.actions.focus = (id, zoom) =>
    dataset.get(id) ? focus(id, zoom) : fetchRecord(id).then((got) => Boolean(got) && focus(id, zoom));
  window.GBAMap.tiles = (name) => handle.stats(name);
  window.GBAMap.tileLayer = (name) => layers.get(name) ?? null;

  await recount(store.state);
  const handle = {
    layers,
    fetchRecord,
    remember,
    /** Whether ``layer`` is drawn from tiles. */
    has: (layer) => overlayOf.has(layer),
    /** The list's part for these layers (list-tiled.js). */
    listPart: (body, item, pageSize, render, rove) => tiledPart(app, body, item, pageSize, render, rove),
    /** One page of ``layer``'s features passing the state (the list's): {features, numberMatched}. */
    page(layer, state, limit, offset) {
      return getJson(itemsUrl(urls, layer, state, queryables, { limit, offset })).then((body) => ({
        features: (body.features || []).map(asFeature).filter(Boolean),
        numberMatched: typeof body.numberMatched === "number" ? body.numberMatched : null,
      }));
    },
    /** What the tiles of ``layer`` did: {requested, loaded, url (the template now)}. */
    stats(layer) {
      const tally = events.get(layer);
      const grid = layers.get(layer);
      return tally && grid ? { requested: tally.requested, loaded: tally.loaded, url: grid._url } : null;
    },
    /** Resolves once ``layer``'s visible tiles are loaded (at once when none is loading). */
    settled(layer) {
      const grid = layers.get(layer);
      if (!grid || !map.hasLayer(grid) || grid.isLoading?.() === false) return Promise.resolve();
      return new Promise((resolve) => grid.once("load", () => resolve()));
    },
  };
  return handle;
}
