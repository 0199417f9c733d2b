/* The Download menu's URLs: what is shown, in each format of the page config's
 * ``downloadFormats`` (webapp/exports.py FORMATS).  Pure; loaded with the page header's
 * modules (share.js), never by an embed.
 *
 * ``site`` is ``downloadSite(store.site, config)``: the store's plus the formats and each
 * layer's kind (point, polygon or link).
 */

import { filterParams } from "./permalink.js";

export function downloadSite(site, config) {
  const layerKinds = new Map(config.overlays.map((overlay) => [overlay.name, overlay.kind]));
  return { ...site, downloadFormats: config.downloadFormats || [], layerKinds };
}

/**
 * One URL for what is shown (the visible layers, the filters and the year, as the download
 * API applies them) in ``format``, one of ``site.downloadFormats``; null when no layer is on
 * or the format takes one geometry type and the layers mix several.
 */
export function downloadUrl(state, site, format = "geojson") {
  const { urls, downloadFormats = [], layerKinds } = site;
  const spec = downloadFormats.find((entry) => entry.extension === format);
  const kinds = new Set(state.layers.map((layer) => layerKinds?.get(layer)));
  if (!state.layers.length || (spec?.oneGeometryType && kinds.size > 1)) return null;
  if (urls.exported) return exportedUrl(state, site, format, spec);
  const query = filterParams(state, site.queryables);
  let name = "all";
  if (state.layers.length === 1) name = state.layers[0];
  else if (state.layers.length !== site.layers.length) query.set("layers", state.layers.join(","));
  if (spec?.params.includes("lang")) query.set("lang", state.lang);
  const search = query.toString();
  // GeoJSON by the URLs every page has (GBAMap.downloadUrl() in an embed), the rest by the menu's.
  const layerUrl =
    format === "geojson" ? urls.downloadLayer : urls.downloadFile.replace(urls.formatPlaceholder, format);
  const path =
    format === "geojson" && name === "all" ? urls.downloadAll : layerUrl.replace(urls.layerPlaceholder, name);
  return search ? `${path}?${search}` : path;
}

/**
 * A static export's file for ``format``: files hold whole layers (no server applies the filters,
 * the year or a choice of layers), so one shown layer is its file and several are all.<format>;
 * null when that file cannot exist (a FlatGeobuf of mixed geometry types).
 */
function exportedUrl(state, site, format, spec) {
  const { urls, layerKinds } = site;
  const name = state.layers.length === 1 ? state.layers[0] : "all";
  if (name === "all" && spec?.oneGeometryType && new Set(site.layers.map((layer) => layerKinds?.get(layer))).size > 1)
    return null;
  if (format === "geojson")
    return name === "all" ? urls.downloadAll : urls.downloadLayer.replace(urls.layerPlaceholder, name);
  const template = spec?.params.includes("lang") && urls.langDownloadFile ? urls.langDownloadFile : urls.downloadFile;
  return template.replace(urls.formatPlaceholder, format).replace(urls.layerPlaceholder, name);
}
