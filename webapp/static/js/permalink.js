/* The state as URLs: the page's permalink, the embed's, and the iframe snippet (the download
 * of what is shown is download-links.js).  Pure: the state and the page's facts in, strings out.
 *
 * ``site`` = {queryables, urls, layers (every layer, in order), defaultBasemap, controls, base}
 * where ``base`` is the page's own address (relative URLs are resolved against it).
 */

import { escapeHtml } from "./escape.js";
import { round } from "./numbers.js";

/** The filters and the year as the downloads and the pages spell them (comma = any of), in table order. */
export function filterParams(state, queryables, query = new URLSearchParams()) {
  for (const queryable of queryables) {
    const value = queryable.kind === "year" ? state.year : state.filters.get(queryable.name);
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      if (value.length) query.set(queryable.name, value.join(","));
    } else {
      query.set(queryable.name, String(value));
    }
  }
  return query;
}

/**
 * The whole state.  kind "link": centre and zoom, exact on a screen like this one;
 * kind "embed": the bbox, so an iframe of any size shows the same area.
 */
export function viewParams(state, site, kind = "link", lang = state.lang) {
  const query = new URLSearchParams();
  query.set("lang", lang);
  if (state.layers.length !== site.layers.length) query.set("layers", state.layers.join(","));
  // The basemap the theme picks on loading is left out (state.themeBasemap null: always written).
  const implied = state.themeBasemap === undefined ? site.defaultBasemap : state.themeBasemap;
  if (state.basemap !== implied) query.set("basemap", state.basemap);
  if (!state.controls) query.set("controls", "0");
  if (state.theme && state.theme !== "light") query.set("theme", state.theme);
  if (state.plain) query.set("plain", "1");
  if (state.static) query.set("static", "1");
  filterParams(state, site.queryables, query);
  if (state.selected !== null) query.set("select", state.selected);
  const view = state.view;
  if (!view) return query;
  if (kind === "embed" && view.bbox) {
    query.set("bbox", view.bbox.map((v) => round(v, 5)).join(","));
  } else if (kind !== "embed") {
    query.set("lat", String(round(view.lat, 5)));
    query.set("lon", String(round(view.lon, 5)));
    query.set("zoom", String(Math.round(view.zoom)));
  }
  return query;
}

export function absolute(path, query, base) {
  const search = query.toString();
  return new URL(search ? `${path}?${search}` : path, base).toString();
}

/** The address of this view: on the full page, or inside the embed when that is where we are. */
export function pageUrl(state, site, { embed = false, lang } = {}) {
  return absolute(embed ? site.urls.embed : site.urls.page, viewParams(state, site, "link", lang), site.base);
}

export function embedUrl(state, site) {
  return absolute(site.urls.embed, viewParams(state, site, "embed"), site.base);
}

/**
 * The HTML a newsroom pastes: an iframe of the embed URL (escaped, to be shown as text).
 * ``data-gba-map`` lets embed.js find it wherever the map is served from.
 */
export function iframeSnippet(url, title) {
  return (
    `<iframe src="${escapeHtml(url)}" width="100%" height="480" style="border:0" loading="lazy" ` +
    `title="${escapeHtml(title)}" allowfullscreen data-gba-map></iframe>`
  );
}

/** embed.js, the host pages' auto-height script: served beside the embed page, at its path + ".js". */
export function embedScriptUrl(site) {
  return absolute(`${site.urls.embed}.js`, new URLSearchParams(), site.base);
}

/** The responsive snippet: the iframe, then the script that sizes it to its content. */
export function responsiveSnippet(url, title, scriptUrl) {
  return `${iframeSnippet(url, title)}\n<script src="${escapeHtml(scriptUrl)}" async></script>`;
}
