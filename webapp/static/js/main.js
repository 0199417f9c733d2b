/* GBA Cooperation Map: the entry module.
 *
 * folium builds the Leaflet map and ends the page with a classic script that sets
 *   window.GBA_BOOT = {map: L.Map, basemaps: {key: L.TileLayer}, config: {...}}
 * (webapp/mapview.py `map_config`); this module, deferred, starts everything from it.
 * The layers are fetched from the download URLs, the same files users download.  Every
 * string from the data reaches the page through textContent or setAttribute.
 *
 * Test surface, window.GBAMap (browser tests use only this, roles and data-* attributes):
 *   ready            Promise → {loaded: [layer...], failed: [layer...]} once every layer is in
 *   state()          plain snapshot {filters: {name: value}, year, selected, layers, basemap, lang,
 *                    center: [lat, lon] (WGS-84), zoom}
 *   map              the L.Map
 *   layer(id)        the Leaflet layer drawing a record (null if none)
 *   group(name)      a layer's Leaflet group; spotlight(name): its highlighted markers (point layers)
 *   downloadUrl(f)   a promise of the download URL of what is shown in format f (default GeoJSON;
 *                    null when no layer is on)
 *   counts()         {layer: records passing the filters and the year}
 *   roles()          {id: "selected" | "partner" | "link"} of the selection, or null
 *   recordLayer(id)  the layer name of a record (null if unknown)
 *   tiles(name)      on a page with a tiled layer (tiled.js adds it): that layer's tiles, {requested,
 *                    loaded, url (the template, with the filters)}; null for a layer not tiled
 *   tileLayer(name)  on such a page: the layer's Leaflet.VectorGrid (null for a layer not tiled)
 *   select(id, {reveal, move: "fly", popup, autoPan}) → bool (a promise of it for a record of a
 *                    tiled layer not loaded yet);  focus(id, zoom) → bool;  clearSelection()
 *   filter(query)    set the filters and the year from a query string ("status=planned&year=2019")
 *   setYear(year)
 *   outlines()       the context outlines as drawn [{jurisdiction, level, sar, weight, detail}] (detail:
 *                    the file stem of the level of detail drawn, e.g. "jurisdictions-low")
 *   contextAt(lat, lon) → {district, jurisdiction} properties under a point
 *   wgs84ToGcj02(lon, lat), gcj02ToWgs84(lon, lat)
 * docs/frontend.md has the module map.
 */

import { createContext } from "./context.js";
import { createController } from "./controller.js";
import { createControls } from "./controls.js";
import { addCredits } from "./credits.js";
import { createDataset } from "./dataset.js";
import { gcj02ToWgs84, wgs84ToGcj02 } from "./datum.js";
import { byId } from "./dom.js";
import { loadExplore, loadHeader, searchOnFirstUse, showExplore } from "./explore.js";
import { createFrameHeight } from "./frame-height.js";
import { createI18n } from "./i18n.js";
import { createDrawing } from "./layers.js";
import { addLegend } from "./legend.js";
import { loadLayer } from "./loader.js";
import { addMapExtras } from "./map-extras.js";
import { createNames } from "./names.js";
import { createPopups } from "./popup.js";
import { fitPopups } from "./popup-fit.js";
import { parseQuery } from "./query.js";
import { createSheets } from "./sheet.js";
import { createStore, snapshot } from "./store.js";
import { createLooks } from "./style.js";
import { followSystemTheme } from "./theme.js";

function announcer() {
  const region = byId("gba-announce");
  return (message) => {
    if (region) region.textContent = message;
  };
}

function start({ map, basemaps, config }) {
  const i18n = createI18n(config.text);
  const store = createStore(config);
  const dataset = createDataset(config);
  const names = createNames(config, i18n, dataset);
  const looks = createLooks(config);
  const popups = createPopups({ config, i18n, names, looks });
  const basemapInfo = new Map((config.basemaps || []).map((basemap) => [basemap.name, basemap]));
  const sheets = createSheets(map); // before the popup fit: a popup opening closes the sheets first
  const app = {
    map,
    basemaps: new Map(Object.entries(basemaps)), // key → tile layer
    basemapInfo,
    config,
    store,
    dataset,
    i18n,
    names,
    looks,
    popups,
    sheets,
    announce: announcer(),
  };
  app.drawing = createDrawing(app);
  const controller = createController(app);
  app.actions = controller;

  // A selection ends when the filters, the year or its layer hide it.
  store.setGuard((next) => {
    if (next.selected === null) return next;
    const record = dataset.get(next.selected);
    const shown = record && dataset.evaluate(next).passes.has(record.id) && next.layers.includes(record.layer);
    return shown ? next : { ...next, selected: null };
  });
  controller.start(); // first subscriber: the map is drawn before the panels read it

  const view = config.view;
  if (view.center) map.setView(view.center, view.zoom ?? 13);
  else map.fitBounds(view.bounds);
  store.setView(controller.currentView(), { source: "map" });

  addCredits(app); // first bottom-left control: the approval number stays in the corner
  const controls = createControls(app);
  addMapExtras(app); // fullscreen, scale bar, the static map
  followSystemTheme(store, config);
  const context = config.urls.contextLevels?.length ? createContext(app) : null;
  const panel = config.controls && byId("gba-explore");
  const topbar = document.querySelector(".gba-topbar");
  if (topbar) loadHeader(app).catch((error) => console.error("GBA map: cannot load the header's parts", error));
  sheets.watchTopbar(topbar);
  if (config.embed) createFrameHeight({ query: store.query, map }); // auto-height when a host sizes the frame
  store.subscribe((state, previous, change) => {
    if (change.reason !== "selection" || state.selected === null || state.selected === previous.selected) return;
    const record = dataset.get(state.selected);
    if (change.revealed) app.announce(i18n.t("filters_cleared", { name: names.recordName(record) }));
    else if (change.announce !== false) app.announce(names.accessibleName(record));
  });

  const loaded = [];
  const failed = [];
  const jobs = config.overlays.map((overlay) => {
    if (overlay.tiled) return null; // tiled.js draws it
    const waiting = [];
    const take = (features, last) => {
      // Polygons are ordered by area over the whole layer, so they wait for all of it.
      if (overlay.kind === "polygon" && !last) return waiting.push(...features);
      app.drawing.add(dataset.add(overlay, overlay.kind === "polygon" ? [...waiting, ...features] : features));
      if (last) app.drawing.refresh(store.state);
    };
    return loadLayer(overlay, config.urls.parseWorker, take)
      .then(() => loaded.push(overlay.name))
      .catch((error) => {
        failed.push(overlay.name);
        console.error("GBA map: cannot load", overlay.url, error);
        controls.showError(overlay.label);
      });
  });
  if (context) jobs.push(context.load(config.urls.contextLevels));
  // Layers too big to download whole come as vector tiles (tiled.js, fetched only then).
  if (config.urls.tiles) jobs.push(import("./tiled.js").then((m) => m.startTiles(app, controls, loaded, failed)));

  fitPopups(map); // last on popupopen: after the panels and the layer list have closed
  const dataLoaded = Promise.all(jobs);
  // The explore panel's modules are fetched when it is first open (at once if it starts open).
  let explore = null;
  const openExplore = () => {
    explore ??= loadExplore(app).then(async (parts) => {
      await dataLoaded;
      await showExplore(parts);
      return parts;
    });
    return explore;
  };
  if (panel) {
    searchOnFirstUse(app);
    controls.addExploreToggle(controls.focusSearch, openExplore);
  }
  const ready = dataLoaded
    .then(() => explore) // a panel open from the start is filled before the selection is made
    .then(() => {
      if (config.controls) addLegend({ ...app, hasContext: Boolean(context?.loaded) });
      controls.updateCounts();
      const query = store.query;
      const focus = query.focus ?? config.focus;
      const select = query.select ?? config.select;
      // A record of a tiled layer not loaded is fetched first: selected a moment after ``ready``.
      if (focus) controller.focus(focus, query.zoom ?? config.focusZoom);
      else if (select) controller.select(select); // its popup pans into view, clear of the controls
      store.startUrl();
      return { loaded: config.overlays.map((o) => o.name).filter((name) => loaded.includes(name)), failed };
    });

  const site = store.site;
  window.GBAMap = {
    ready,
    map,
    state: () => snapshot(store.state),
    layer: (id) => app.drawing.layerOf(id),
    group: (name) => app.drawing.groups.get(name) ?? null,
    spotlight: (name) => app.drawing.spotlights.get(name) ?? null,
    // A promise (the module is the page header's, fetched when asked): page.evaluate awaits it.
    downloadUrl: (format) =>
      import("./download-links.js").then((links) =>
        links.downloadUrl(store.state, links.downloadSite(site, config), format),
      ),
    counts: () => Object.fromEntries(dataset.evaluate(store.state).counts),
    roles: () => {
      const roles = app.drawing.highlight();
      return roles ? Object.fromEntries(roles) : null;
    },
    recordLayer: (id) => dataset.get(id)?.layer ?? null,
    select: (id, options) => controller.select(id, options),
    focus: (id, zoom) => controller.focus(id, zoom),
    clearSelection: () => controller.clearSelection(),
    filter(search) {
      const query = parseQuery(search, store.tables);
      const year = store.tables.queryables.find((q) => q.kind === "year");
      store.setFilters(query, year ? (query[year.name] ?? null) : undefined);
    },
    setYear: (year) => store.setYear(year),
    outlines: () => context?.outlines() ?? [],
    contextAt: (lat, lon) => context?.at(globalThis.L.latLng(lat, lon)) ?? { district: null, jurisdiction: null },
    wgs84ToGcj02,
    gcj02ToWgs84,
  };
}

if (window.GBA_BOOT) start(window.GBA_BOOT);
else if (!window.GBA_LEAVING) console.error("GBA map: window.GBA_BOOT is missing (the page's boot script did not run)");
