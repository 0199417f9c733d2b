/* The one store: the state a reader sees, and the only code that reads or writes the URL.
 *
 * State (a new frozen object on every change):
 *   filters   Map of queryable name → wanted values (enum) or true/false (boolean); only active ones
 *   year      the timeline's "as of" year, or null for the latest
 *   selected  the selected record's id, or null
 *   layers    the visible layers, in the config's order
 *   basemap   the basemap's key
 *   view      {lat, lon, zoom, bbox} in WGS-84, as the map last reported it (null before)
 *   themeBasemap the basemap the theme picks (a permalink leaves it out), or null (always written)
 *   lang, controls, theme, plain, static   fixed for the page
 * UI modules render from the state (subscribe) and change it through the intents below;
 * each change carries a ``change`` object ({reason, ...}) that tells subscribers why.
 */

import { pageUrl } from "./permalink.js";
import { parseQuery, QueryError } from "./query.js";
import { impliedBasemap, systemPrefersDark, themeBasemap } from "./theme.js";

const URL_DELAY = 120; // ms: the address bar follows a moving map without a write per frame

/** Parse the page's query, dropping (as the page ignores) any parameter the grammar refuses. */
export function readQuery(search, tables) {
  const params = new URLSearchParams(search);
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      return parseQuery(params, tables);
    } catch (error) {
      if (!(error instanceof QueryError) || !params.has(error.param)) throw error;
      params.delete(error.param);
    }
  }
  return {};
}

function sameValue(a, b) {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => item === b[i]);
  if (a instanceof Map && b instanceof Map) {
    if (a.size !== b.size) return false;
    for (const [key, value] of a) if (!b.has(key) || !sameValue(value, b.get(key))) return false;
    return true;
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => sameValue(a[key], b[key]));
  }
  return false;
}

/** Whether two states say the same (so a no-op intent notifies nobody). */
export function sameState(a, b) {
  return Object.keys(a).every((key) => sameValue(a[key], b[key]));
}

function inOrder(names, order) {
  const wanted = new Set(names);
  return order.filter((name) => wanted.has(name));
}

export function createStore(
  config,
  { location = globalThis.location, history = globalThis.history, systemDark = systemPrefersDark() } = {},
) {
  const tables = { queryables: config.queryables || [], params: config.params || [] };
  const layerOrder = config.overlays.map((overlay) => overlay.name);
  const yearQueryable = tables.queryables.find((q) => q.kind === "year");
  const filterQueryables = tables.queryables.filter((q) => q.kind === "enum" || q.kind === "boolean");
  const query = readQuery(location ? location.search : "", tables);

  const filters = new Map();
  for (const q of filterQueryables) if (Object.hasOwn(query, q.name)) filters.set(q.name, query[q.name]);
  let state = Object.freeze({
    filters,
    year: yearQueryable && Object.hasOwn(query, yearQueryable.name) ? query[yearQueryable.name] : null,
    selected: null,
    layers: query.layers ? inOrder(query.layers, layerOrder) : layerOrder.slice(),
    // Without a basemap in the URL, the theme picks one (the dark one on a dark page).
    basemap:
      query.basemap || (config.theme ? themeBasemap(config, systemDark) : config.basemap) || config.defaultBasemap,
    themeBasemap: config.theme ? impliedBasemap(config, systemDark) : config.defaultBasemap,
    view: null,
    lang: config.urlLang,
    controls: config.controls !== false,
    theme: config.theme || "light",
    plain: Boolean(config.plain),
    static: Boolean(config.static),
  });

  const listeners = new Set();
  let guard = (next) => next;
  let writing = false;
  let timer = null;
  const site = {
    queryables: tables.queryables,
    urls: config.urls,
    layers: layerOrder,
    defaultBasemap: config.defaultBasemap,
    base: location ? location.href : "http://localhost/",
  };

  function writeUrl() {
    clearTimeout(timer);
    if (!writing || !history?.replaceState || !location) return;
    const url = pageUrl(state, site, { embed: config.embed });
    if (url !== location.href) history.replaceState(history.state, "", url);
  }

  function update(patch, change = {}) {
    const previous = state;
    const next = guard({ ...state, ...patch }, previous);
    if (sameState(next, previous)) return;
    state = Object.freeze(next);
    for (const listener of listeners) listener(state, previous, change);
    clearTimeout(timer);
    if (writing) timer = setTimeout(writeUrl, URL_DELAY);
  }

  return {
    /** The parsed URL (focus, select and the rest), for the first actions after loading. */
    query,
    tables,
    site,
    get state() {
      return state;
    },
    /** listener(state, previous, change) after every change; returns the unsubscribe function. */
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** A rule every new state obeys (e.g. a selection the filters hide ends). */
    setGuard(rule) {
      guard = rule;
    },
    /** From now on the address bar carries the state (after loading: a half-drawn map is no permalink). */
    startUrl() {
      writing = true;
      writeUrl();
    },
    update,
    setFilter(name, value, change) {
      const next = new Map(state.filters);
      const empty = value === null || value === undefined || (Array.isArray(value) && !value.length);
      if (empty) next.delete(name);
      else next.set(name, value);
      update({ filters: next }, { reason: "filters", ...change });
    },
    /** Replace every filter (and the year when given): a Map or a parse result. */
    setFilters(values, year, change) {
      const next = new Map();
      const get = (name) => (values instanceof Map ? values.get(name) : values?.[name]);
      for (const q of filterQueryables) {
        const value = get(q.name);
        if (value !== undefined && value !== null && !(Array.isArray(value) && !value.length)) next.set(q.name, value);
      }
      const patch = { filters: next };
      if (year !== undefined) patch.year = year;
      update(patch, { reason: "filters", ...change });
    },
    setYear(year, change) {
      let value = typeof year === "number" && Number.isFinite(year) ? year : null;
      if (value !== null && config.timeline && value >= config.timeline.last) value = null;
      if (value !== state.year) update({ year: value }, { reason: "year", ...change });
    },
    select(id, change) {
      update({ selected: id }, { reason: "selection", ...change });
    },
    clearSelection(change) {
      if (state.selected !== null) update({ selected: null }, { reason: "selection", ...change });
    },
    setLayers(names, change) {
      update({ layers: inOrder(names, layerOrder) }, { reason: "layers", ...change });
    },
    setLayerVisible(name, visible, change) {
      const names = state.layers.filter((layer) => layer !== name);
      if (visible) names.push(name);
      this.setLayers(names, change);
    },
    setBasemap(key, change) {
      if (key !== state.basemap) update({ basemap: key }, { reason: "basemap", ...change });
    },
    setView(view, change) {
      update({ view }, { reason: "view", ...change });
    },
  };
}

/** A plain copy of the state (for tests and the console): no Maps, nothing live. */
export function snapshot(state) {
  return {
    filters: Object.fromEntries(
      [...state.filters].map(([name, value]) => [name, Array.isArray(value) ? [...value] : value]),
    ),
    year: state.year,
    selected: state.selected,
    layers: [...state.layers],
    basemap: state.basemap,
    lang: state.lang,
    center: state.view ? [state.view.lat, state.view.lon] : null,
    zoom: state.view ? state.view.zoom : null,
  };
}
