/* Layers drawn from vector tiles (the server's setting TILE_THRESHOLD decides which: the page
 * config marks them ``tiled``): their URLs from the state.  Pure: no Leaflet, no DOM.
 *
 * ``urls`` is the page config's: ``tiles`` a template with ``layerPlaceholder`` and Leaflet's
 * ``{z}/{x}/{y}``; ``items`` the layer's OGC API items (features one page at a time, one by id).
 * A template without ``{z}`` is a single archive (a PMTiles file of a static export): its tiles
 * carry every feature, so the page filters them itself (``filtersInTiles`` is false).
 */

import { filterParams } from "./permalink.js";

/** The names of the layers the page draws from tiles, in the config's order. */
export function tiledLayers(config) {
  return (config.overlays || []).filter((overlay) => overlay.tiled === true).map((overlay) => overlay.name);
}

/** Whether the tile server applies the filters (an XYZ route) rather than the page (an archive). */
export function filtersInTiles(urls) {
  return typeof urls?.tiles === "string" && urls.tiles.includes("{z}");
}

function withQuery(path, query) {
  const search = query.toString();
  return search ? `${path}${path.includes("?") ? "&" : "?"}${search}` : path;
}

/**
 * The tile URL template of ``layer`` for the state: the filters and the year as the map's own
 * URL spells them (the same parameters as the downloads and the OGC API), ``{z}/{x}/{y}`` left
 * for Leaflet.  An archive's URL carries no filter.
 */
export function tileUrl(urls, layer, state, queryables) {
  const path = urls.tiles.replaceAll(urls.layerPlaceholder, encodeURIComponent(layer));
  if (!filtersInTiles(urls)) return path;
  return withQuery(path, filterParams(state, queryables));
}

/** One page of ``layer``'s features passing the state's filters: ``offset`` and ``limit`` (JSON). */
export function itemsUrl(urls, layer, state, queryables, { limit, offset = 0 }) {
  const query = filterParams(state, queryables);
  query.set("limit", String(limit));
  query.set("offset", String(offset));
  query.set("f", "json");
  return withQuery(urls.items.replaceAll(urls.layerPlaceholder, encodeURIComponent(layer)), query);
}

/** One feature of ``layer`` by id, with every property (what the popup shows). */
export function itemUrl(urls, layer, id) {
  const path = urls.items.replaceAll(urls.layerPlaceholder, encodeURIComponent(layer));
  return `${path}/${encodeURIComponent(id)}?f=json`;
}

/** The feature of an OGC API answer as the map's layers take it: ``properties.id`` set. */
export function asFeature(item) {
  if (!item || typeof item !== "object" || !item.geometry) return null;
  const properties = { ...(item.properties || {}) };
  if (typeof properties.id !== "string" && typeof item.id === "string") properties.id = item.id;
  return { type: "Feature", geometry: item.geometry, properties };
}

/**
 * Which clusters of a tile get their count written: ``clusters`` as drawn ({x, y, r, count}, px),
 * ``cell`` px.  In each ``cell`` × ``cell`` square the biggest cluster (by count; ties: the first),
 * and only one big enough to hold the text (``r`` at least ``minRadius``): at low zooms a tile
 * holds thousands of overlapping clusters, whose counts could not be read and cost the most to draw.
 * Returns their indices in ``clusters``.
 */
export function labelledClusters(clusters, cell = 24, minRadius = 9) {
  const best = new Map(); // square → index of its biggest cluster
  clusters.forEach((cluster, index) => {
    if (cluster.r < minRadius) return;
    const square = `${Math.floor(cluster.x / cell)},${Math.floor(cluster.y / cell)}`;
    const held = best.get(square);
    if (held === undefined || clusters[held].count < cluster.count) best.set(square, index);
  });
  return new Set(best.values());
}
