/* The context layer: jurisdiction and district outlines under the data (the map stays
 * readable when tiles are blocked), chosen jurisdictions tinted, names on hover.
 *
 * The outlines come at a few levels of detail (config.urls.contextLevels, coarse to fine,
 * each with the zoom from which it is drawn): the page fetches the one its zoom needs,
 * the coarse one on a first load, and a finer one only when the reader zooms in past its
 * threshold. The finest level fetched so far is the one drawn and the one hover and
 * contextAt answer from.
 */

import { el } from "./dom.js";
import { pointInPolygon } from "./geometry.js";
import { L } from "./leaflet.js";
import { contextStyle } from "./style.js";

export function createContext({ map, config, store, dataset, drawing }) {
  const sars = new Set(config.sars || []);
  // The queryables whose values are jurisdictions: `jurisdiction` (exactly the property) and
  // `touches_jurisdiction` (the panel's); a jurisdiction chosen in either is tinted.
  const jurisdictionQueryables = (config.queryables || []).filter((q) =>
    (q.properties || []).some((property) => property === "jurisdiction" || property === "jurisdictions"),
  );
  let collection = null;
  let levels = [];
  let drawnLevel = -1; // index in levels of the collection drawn
  const requested = new Set(); // indexes of levels fetched or being fetched
  let shapes = [];
  let group = null;
  let renderer = null;
  let tip = null;
  let tipKey = null;
  let overFeature = false;
  let hoverAt = null;
  let hoverFrame = null;

  function style() {
    const chosen = new Set(jurisdictionQueryables.flatMap((q) => store.state.filters.get(q.name) || []));
    const zoom = map.getZoom();
    for (const shape of shapes) {
      const district = shape.p.level === "district";
      const picked = !district && chosen.has(shape.p.jurisdiction);
      shape.layer.setStyle(contextStyle({ district, sar: shape.sar, picked, zoom }));
    }
  }

  function draw() {
    if (!collection) return;
    if (!group) group = L.featureGroup().addTo(map);
    if (!renderer) {
      // Its own pane under the features, never in the way of the pointer (hover is worked
      // out from the mouse position instead).
      const pane = map.createPane("gba-context");
      pane.style.zIndex = 350;
      pane.style.pointerEvents = "none";
      renderer = L.canvas({ pane: "gba-context", padding: 0.5 });
    }
    group.clearLayers();
    shapes = [];
    // Cities, then districts, then the SARs on top: the SAR borders are drawn last.
    const rank = (p) => (p.level === "district" ? 1 : sars.has(p.jurisdiction) ? 2 : 0);
    const features = collection.features.slice().sort((a, b) => rank(a.properties) - rank(b.properties));
    for (const feature of features) {
      const geometry = feature.geometry;
      if (!geometry || (geometry.type !== "Polygon" && geometry.type !== "MultiPolygon")) continue;
      const p = feature.properties;
      const layer = L.polygon(drawing.projector.polygon(geometry, p.jurisdiction), {
        renderer,
        pane: "gba-context",
        interactive: false,
      });
      shapes.push({ p, layer, bounds: layer.getBounds(), sar: sars.has(p.jurisdiction) });
      group.addLayer(layer);
    }
    style();
  }

  /** The district (if any) and the jurisdiction under a point: their properties, or null. */
  function at(latlng) {
    const found = { district: null, jurisdiction: null };
    for (const shape of shapes) {
      const level = shape.p.level === "district" ? "district" : "jurisdiction";
      if (found[level] || !shape.bounds.contains(latlng)) continue;
      if (pointInPolygon(latlng, shape.layer.getLatLngs())) found[level] = shape.p;
    }
    return found;
  }

  function namesOf(p) {
    // The name in the page's language first, then the other forms that differ.
    const first = p[`name_${config.lang}`] || p.name_en;
    const box = el("span", "gba-context-names");
    box.appendChild(el("strong", null, first));
    const shown = new Set([first]);
    for (const other of config.langs || []) {
      const form = p[`name_${other}`];
      if (form && !shown.has(form)) {
        shown.add(form);
        box.appendChild(el("span", "gba-context-other", form));
      }
    }
    return box;
  }

  function hideTip() {
    if (tip && map.hasLayer(tip)) map.removeLayer(tip);
  }

  function showTip(latlng, found) {
    const key = `${found.district ? found.district.name_en : ""}|${found.jurisdiction ? found.jurisdiction.name_en : ""}`;
    if (!tip) tip = L.tooltip({ className: "gba-context-tip", direction: "top", offset: [0, -10], opacity: 0.95 });
    if (key !== tipKey) {
      const root = el("div", "gba-context");
      if (found.district) root.appendChild(namesOf(found.district));
      if (found.jurisdiction) root.appendChild(namesOf(found.jurisdiction));
      tip.setContent(root);
      tipKey = key;
    }
    tip.setLatLng(latlng);
    if (!map.hasLayer(tip)) tip.addTo(map);
  }

  function hover(event) {
    if (!shapes.length || overFeature) return;
    hoverAt = event.latlng;
    if (hoverFrame) return;
    hoverFrame = requestAnimationFrame(() => {
      hoverFrame = null;
      if (overFeature) return hideTip();
      const found = at(hoverAt);
      if (!found.jurisdiction && !found.district) return hideTip();
      showTip(hoverAt, found);
    });
  }

  for (const featureGroup of drawing.groups.values()) {
    featureGroup.on("mouseover", () => {
      overFeature = true;
      hideTip();
    });
    featureGroup.on("mouseout", () => {
      overFeature = false;
    });
  }
  map.on("mousemove", hover);
  map.on("mouseout movestart zoomstart popupopen", hideTip);
  map.on("zoomend", () => shapes.length && style());
  store.subscribe((state, previous) => {
    if (state.basemap !== previous.basemap) draw();
    else if (state.filters !== previous.filters) style();
  });

  /** The finest level whose threshold the zoom has passed (the coarsest whatever the zoom). */
  function levelFor(zoom) {
    let wanted = 0;
    levels.forEach((level, index) => {
      if (zoom >= level.minZoom) wanted = index;
    });
    return wanted;
  }

  function fetchLevel(index) {
    requested.add(index);
    const { url } = levels[index];
    return fetch(url, { credentials: "same-origin" })
      .then((response) => {
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        return response.json();
      })
      .then((body) => {
        if (index <= drawnLevel) return; // a finer level arrived first
        if (!collection) learnNames(body);
        collection = body;
        drawnLevel = index;
        draw();
      })
      .catch((error) => {
        requested.delete(index);
        console.error("GBA map: cannot load", url, error);
      });
  }

  function learnNames(body) {
    // Names of jurisdictions the features only give in short form come from here.
    for (const feature of body.features) {
      const p = feature.properties || {};
      if (p.level !== "jurisdiction" || !p.jurisdiction) continue;
      const name = p[`name_${config.lang}`];
      if (!name) continue;
      for (const queryable of jurisdictionQueryables) dataset.learnName(queryable.name, p.jurisdiction, name);
    }
  }

  function refine() {
    if (!levels.length) return;
    const wanted = levelFor(map.getZoom());
    if (wanted > drawnLevel && !requested.has(wanted)) fetchLevel(wanted);
  }

  map.on("zoomend", refine);

  return {
    /** Fetch and draw the level of detail the current zoom needs ([{url, minZoom}], coarse to fine). */
    load(detailLevels) {
      levels = detailLevels;
      return fetchLevel(levelFor(map.getZoom()));
    },
    get loaded() {
      return Boolean(collection);
    },
    at,
    /** The outlines as drawn: [{jurisdiction, level, sar, weight, detail}] (for tests and the console). */
    outlines: () =>
      shapes.map((shape) => ({
        jurisdiction: shape.p.jurisdiction,
        level: shape.p.level,
        sar: shape.sar,
        weight: shape.layer.options.weight,
        detail: collection.name,
      })),
  };
}
