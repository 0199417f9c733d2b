/* Layers drawn from vector tiles, too big to download whole (``tiled`` in the page config):
 * imported by main.js only on a page that has one, so other pages never fetch it nor VectorGrid.
 *
 * Each tiled layer is a VectorGrid on canvas tiles inside the layer's group (the layer control
 * shows and hides it like any other).  A tile carries a few properties per feature
 * (webapp/tiles.py TILE_PROPERTIES, ``id`` among them): enough to style it and to find it under
 * the pointer.  A click, a search result, a list item or a ``select=`` link fetches the whole
 * record from the OGC API and adds it to the dataset: from there it is selected, drawn
 * highlighted above the tiles and opens the same popup as every other record.  The filters and
 * the year go into the tile URLs (the server filters); counts come from the API's numberMatched.
 */

import { clusterPainter, clusterRadius } from "./cluster-circles.js";
import { wgs84ToGcj02 } from "./datum.js";
import { L } from "./leaflet.js";
import { tiledPart } from "./list-tiled.js";
import { compileMatcher } from "./query.js";
import { styleFor } from "./style.js";
import { archiveTiles, loadScript, readArchives } from "./tile-archives.js";
import { watchRefusals } from "./tile-refusals.js";
import { asFeature, filtersInTiles, itemsUrl, itemUrl, tileUrl } from "./tiles.js";

const PANE = "gbaTiles"; // above the basemaps, below the records drawn on the map's own canvas
const HIT_SLOP = 4; // px: a click this close to a point still takes it
// Tiles of 512 px, each the server's tile of the zoom above (as raster maps do it: Leaflet's
// tileSize 512 with zoomOffset -1): a quarter of the tile requests of 256-px tiles for the same
// view, and with a few workers the queue of requests is most of the time a view takes.
const TILE_SIZE = 512; // px: the tiles' size on screen
const ZOOM_OFFSET = -1; // the tile's zoom minus the map's
const TILES_WAIT = 5000; // ms: the longest the list and the counts wait for the tiles in view

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
  const { map, config, store, dataset, drawing, looks, basemapInfo } = app;
  const urls = config.urls;
  await loadScript(urls.vectorGrid, () => globalThis.L?.vectorGrid); // preloaded with the page
  const queryables = config.queryables || [];
  const serverFilters = filtersInTiles(urls);
  if (!serverFilters) await readArchives(overlays, urls);
  else watchRefusals(map, urls.tiles.split(urls.layerPlaceholder)[0], app.i18n); // a 503 tile: a note, not a blank
  // Leaflet.VectorGrid fetches and decodes the tiles; its own renderer makes a Leaflet object per
  // feature (seconds for a tile of tens of thousands of points), so each tile is drawn here
  // straight on a canvas (``options.draw``), in one path per look.
  // On a basemap drawn in GCJ-02 (Gaode) mainland features are shown shifted, as the records
  // drawn on the map's canvas are (shapes.js createProjector).  The shift is ~500 m, far more
  // than a tile's buffer at high zooms, so each tile's canvas is moved by the shift at its centre
  // (whole pixels: it varies by well under a pixel across one tile) and each vertex is drawn at
  // its own shifted position relative to that.
  const datum = () => basemapInfo?.get(store.state.basemap)?.datum || "wgs84";
  const tileOffset = (coords) => {
    if (datum() !== "gcj02") return L.point(0, 0);
    const centre = map.unproject(L.point((coords.x + 0.5) * TILE_SIZE, (coords.y + 0.5) * TILE_SIZE), coords.z);
    const [lon, lat] = wgs84ToGcj02(centre.lng, centre.lat);
    return map.project(L.latLng(lat, lon), coords.z).subtract(map.project(centre, coords.z)).round();
  };
  const CanvasGrid = L.VectorGrid.Protobuf.extend({
    _getTilePos(coords) {
      return L.VectorGrid.Protobuf.prototype._getTilePos.call(this, coords).add(tileOffset(coords));
    },
    // Leaflet.VectorGrid asks for the map's zoom (a GridLayer has no zoomOffset): the tile's is one less.
    _getVectorTilePromise(coords) {
      const { x, y, z } = coords;
      return L.VectorGrid.Protobuf.prototype._getVectorTilePromise.call(this, { x, y, z: z + this.options.zoomOffset });
    },
    createTile(coords, done) {
      const canvas = document.createElement("canvas");
      const key = this._tileCoordsToKey(coords);
      this._getVectorTilePromise(coords).then(
        (tile) => {
          this.options.draw(canvas, tile, coords, key);
          done(null, canvas);
        },
        (error) => done(error, canvas),
      );
      return canvas;
    },
  });
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

  // A tile may hold tens of thousands of features: one style object per look, made once.
  const styles = new Map();
  function look(overlay, properties) {
    if (matches && !matches(properties)) return [];
    const planned = looks.isPlannedAt(properties, store.state.year);
    const approximate = looks.isApproximate(properties, false);
    const key = `${overlay.name}\n${planned}\n${approximate}`;
    if (!styles.has(key)) {
      styles.set(
        key,
        styleFor({ kind: overlay.kind, colour: overlay.colour, planned, approximate, role: null, dim: false }),
      );
    }
    return styles.get(key);
  }

  // A point layer's tiles come clustered from the server below ``clusters.maxZoom``: one feature
  // per occupied grid cell with its ``count`` (a lone feature keeps its properties and id); from
  // that zoom on the server answers the same URL with the raw tile.
  const clusters = urls.clusters || null;
  function sourceOf(overlay, state) {
    const url = tileUrl(urls, overlay.name, state, queryables);
    if (!clusters || overlay.kind !== "point") return url;
    const param = `${encodeURIComponent(clusters.param)}=${encodeURIComponent(clusters.value)}`;
    return `${url}${url.includes("?") ? "&" : "?"}${param}`;
  }
  const drawClusters = clusterPainter(document);

  const hits = new Map(); // layer → Map of tile key → {coords, items}: what a click can find
  const probe = document.createElement("canvas").getContext("2d"); // point-in-path tests

  /** Draw a tile's features on its canvas, one path per look; note where each is for the click. */
  function drawTile(overlay, canvas, tile, coords, key) {
    const size = TILE_SIZE;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = size * ratio;
    canvas.height = size * ratio;
    const ctx = canvas.getContext("2d");
    ctx.scale(ratio, ratio);
    const items = [];
    const batches = new Map(); // style → the Path2D of every feature drawn with it
    const offset = tileOffset(coords);
    const origin = L.point(coords.x * TILE_SIZE, coords.y * TILE_SIZE).add(offset);
    const shifted = datum() === "gcj02";
    const { projector } = drawing;
    const grouped = []; // the clusters, drawn above the single features
    // The decoded tile's layers are a plain object keyed by the tiles' layer names: ours.
    for (const layer of Object.values(tile.layers)) {
      const scale = size / layer.extent;
      for (const feature of layer.features) {
        const style = look(overlay, feature.properties);
        if (Array.isArray(style)) continue; // filtered out
        if (!batches.has(style)) batches.set(style, new Path2D());
        const batch = batches.get(style);
        const id = feature.properties.id;
        const p = feature.properties;
        const jurisdiction = p.jurisdiction ?? p.from_jurisdiction ?? null;
        // A vertex's place on the canvas: as the tile has it, or (GCJ-02) through its lat/lon shifted.
        const place = shifted
          ? (point) => {
              const at = map.unproject(
                L.point(coords.x * TILE_SIZE + point.x * scale, coords.y * TILE_SIZE + point.y * scale),
                coords.z,
              );
              const moved = map.project(projector.toLatLng([at.lng, at.lat], jurisdiction), coords.z);
              return { x: moved.x - origin.x, y: moved.y - origin.y };
            }
          : (point) => ({ x: point.x * scale, y: point.y * scale });
        const count = p.count;
        if (feature.type === 1 && typeof count === "number" && count > 1) {
          for (const ring of feature.geometry) {
            for (const point of ring) {
              const { x, y } = place(point);
              const r = clusterRadius(count);
              grouped.push({ x, y, r, count, style });
              items.push({ x, y, r, id: null, count });
            }
          }
          continue;
        }
        if (feature.type === 1) {
          for (const ring of feature.geometry) {
            for (const point of ring) {
              const { x, y } = place(point);
              batch.moveTo(x + style.radius, y);
              batch.arc(x, y, style.radius, 0, 2 * Math.PI);
              items.push({ x, y, r: style.radius, id });
            }
          }
          continue;
        }
        const own = new Path2D();
        for (const ring of feature.geometry) {
          ring.forEach((point, i) => {
            const { x, y } = place(point);
            if (i) own.lineTo(x, y);
            else own.moveTo(x, y);
          });
          if (feature.type === 3) own.closePath();
        }
        batch.addPath(own);
        items.push({ path: own, polygon: feature.type === 3, width: style.weight, id });
      }
    }
    for (const [style, path] of batches) {
      if (style.fillColor && style.fill !== false) {
        ctx.globalAlpha = style.fillOpacity ?? 0.2;
        ctx.fillStyle = style.fillColor;
        ctx.fill(path, "evenodd");
      }
      ctx.globalAlpha = style.opacity ?? 1;
      ctx.strokeStyle = style.color;
      ctx.lineWidth = style.weight;
      ctx.setLineDash(style.dashArray ? style.dashArray.split(/[ ,]+/).map(Number) : []);
      ctx.stroke(path);
    }
    drawClusters(ctx, grouped, ratio);
    hits.get(overlay.name).set(key, { coords, offset, items });
  }

  for (const overlay of overlays) {
    const tally = { requested: 0, loaded: 0 };
    events.set(overlay.name, tally);
    hits.set(overlay.name, new Map());
    const source = serverFilters ? sourceOf(overlay, store.state) : archiveTiles(overlay.name);
    const grid = new CanvasGrid(source, {
      pane: PANE,
      draw: (canvas, tile, coords, key) => drawTile(overlay, canvas, tile, coords, key),
      updateWhenZooming: false,
      maxZoom: config.maxZoom,
      tileSize: TILE_SIZE,
      zoomOffset: ZOOM_OFFSET,
      minNativeZoom: -ZOOM_OFFSET, // no tile above zoom 0: the map's zoom 0 shows zoom 1's, scaled
    });
    grid.on("tileloadstart", () => {
      tally.requested += 1;
    });
    grid.on("tileload", () => {
      tally.loaded += 1;
    });
    grid.on("tileunload", (event) => hits.get(overlay.name).delete(grid._tileCoordsToKey(event.coords)));
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
    let found = null;
    for (const name of store.state.layers) {
      const grid = layers.get(name);
      if (!grid || !map.hasLayer(grid)) continue;
      for (const { coords, offset, items } of hits.get(name).values()) {
        if (coords.z !== map.getZoom()) continue;
        const at = map.project(event.latlng, coords.z);
        const x = at.x - coords.x * TILE_SIZE - offset.x;
        const y = at.y - coords.y * TILE_SIZE - offset.y;
        if (x < -HIT_SLOP || y < -HIT_SLOP || x > TILE_SIZE + HIT_SLOP || y > TILE_SIZE + HIT_SLOP) continue;
        for (const item of items) {
          let inside;
          if (!item.path) inside = Math.hypot(item.x - x, item.y - y) <= item.r + HIT_SLOP;
          else if (item.polygon) inside = probe.isPointInPath(item.path, x, y, "evenodd");
          else {
            probe.lineWidth = item.width + 2 * HIT_SLOP;
            inside = probe.isPointInStroke(item.path, x, y);
          }
          if (inside && typeof item.id === "string") found = { layer: name, id: item.id };
          else if (inside && item.count) {
            const centre = L.point(coords.x * TILE_SIZE + offset.x + item.x, coords.y * TILE_SIZE + offset.y + item.y);
            found = { layer: name, cluster: map.unproject(centre, coords.z) };
          }
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
    // Without the API (a static export) there is no whole record to show.
    if (event.originalEvent === recordClick || config.static || !urls.items) return;
    const found = hit(event);
    // A cluster: zoom in on it (two levels, up to where the tiles are raw; ``clusters.maxZoom`` is the tiles' zoom).
    const raw = clusters ? clusters.maxZoom - ZOOM_OFFSET : map.getZoom();
    if (found?.cluster) map.setView(found.cluster, Math.max(map.getZoom() + 1, Math.min(map.getZoom() + 2, raw)));
    else if (found) app.actions.select(found.id, { popup: true, layer: found.layer });
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
    if (known || !urls.items) return Promise.resolve(known);
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

  /**
   * Resolves once every shown tiled layer's tiles are in, looked at after the current change
   * has reached every subscriber (one that asks for tiles may come after the one waiting).  The
   * list's pages and the counts wait for it: with few server workers, a count that reads every
   * matching row would otherwise hold up the tiles the reader is looking at.
   */
  function afterTiles() {
    return Promise.resolve().then(() => {
      const loading = [...layers.values()].filter((grid) => map.hasLayer(grid) && grid.isLoading());
      if (!loading.length) return null;
      // A layer switched off while loading never says it is in: the wait has an end.
      const late = new Promise((resolve) => setTimeout(resolve, TILES_WAIT));
      return Promise.race([late, Promise.all(loading.map((grid) => new Promise((done) => grid.once("load", done))))]);
    });
  }

  // The pages asked for under the current filters, by URL: the counts and the list's first page
  // are one request (each answer's numberMatched costs the server a count of every match).
  const pages = new Map();
  let listPage = 1; // features the list asks for at a time (1 until the list says)

  /** One page of ``layer``'s features passing the state (the list's): {features, numberMatched}. */
  function page(layer, state, limit, offset) {
    const url = itemsUrl(urls, layer, state, queryables, { limit, offset });
    if (!pages.has(url)) {
      const answer = getJson(url).then((body) => ({
        features: (body.features || []).map(asFeature).filter(Boolean),
        numberMatched: typeof body.numberMatched === "number" ? body.numberMatched : null,
      }));
      answer.catch(() => pages.delete(url)); // asked again next time
      pages.set(url, answer);
    }
    return pages.get(url);
  }

  /** The counts of the state's filters: each layer's numberMatched (from the list's first page). */
  let countToken = 0;
  function recount(state) {
    const token = ++countToken;
    if (!urls.items) return Promise.resolve(); // a static export: the counts stay the dataset's
    return Promise.all(
      overlays.map((overlay) =>
        page(overlay.name, state, listPage, 0).then(
          (got) => [overlay.name, got.numberMatched],
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
    if (state.basemap !== previous.basemap) {
      const before = basemapInfo?.get(previous.basemap)?.datum || "wgs84";
      // After the controller has moved the records (its projector's datum): the same shift.
      if (before !== datum())
        queueMicrotask(() => {
          for (const grid of layers.values()) grid.redraw();
        });
    }
    if (state.filters === previous.filters && state.year === previous.year) return;
    pages.clear();
    compile(state);
    for (const [name, grid] of layers) {
      if (serverFilters) grid.setUrl(sourceOf(overlayOf.get(name), state));
      else grid.redraw();
    }
    // The counts after the tiles: a count reads every matching row, the tiles only their cells.
    afterTiles().then(() => recount(state));
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
    listPart(body, item, pageSize, render, rove) {
      if (!urls.items) return null;
      listPage = pageSize;
      return tiledPart(app, body, item, pageSize, render, rove);
    },
    page,
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
    afterTiles,
  };
  return handle;
}
