/* Records that share one position (district-level places: twelve records of five layers on
 * one Pingshan point).  Each point layer clusters on its own, so their bubbles stack exactly
 * and only the top one could be clicked: a click on a marker or a bubble that cannot split
 * any further opens a chooser listing every shown record at that point.
 */

import { el } from "./dom.js";
import { L } from "./leaflet.js";

/** One key per position as stored (WGS-84), so the key does not depend on the basemap's datum. */
export function positionKey(coordinates) {
  return `${coordinates[0]},${coordinates[1]}`;
}

/** Point records grouped by position: key → records, in the order given. */
export function groupByPosition(records) {
  const groups = new Map();
  for (const record of records) {
    if (record.kind !== "point") continue;
    const key = positionKey(record.feature.geometry.coordinates);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(record);
  }
  return groups;
}

/** The records of ``members`` that are shown, sorted by layer (config order) then name. */
export function shownHere(members, shown, layerOrder, nameOf) {
  const rank = new Map(layerOrder.map((name, i) => [name, i]));
  return members
    .filter(shown)
    .sort((a, b) => (rank.get(a.layer) ?? 0) - (rank.get(b.layer) ?? 0) || nameOf(a).localeCompare(nameOf(b)));
}

/** Whether every marker of a cluster sits on one spot (so zooming in can never split it). */
export function samePlace(latlngs) {
  return latlngs.every((ll) => ll.lat === latlngs[0].lat && ll.lng === latlngs[0].lng);
}

export function createChooser(app) {
  const { map, config, store, dataset, names, i18n, looks, popups } = app;
  const layerOrder = config.overlays.map((overlay) => overlay.name);
  const labels = new Map(config.overlays.map((overlay) => [overlay.name, overlay.label]));
  const byPosition = new Map(); // key → point records
  let popup = null;

  function add(records) {
    for (const [key, members] of groupByPosition(records)) {
      byPosition.set(key, [...(byPosition.get(key) || []), ...members]);
    }
  }

  /** The shown records at a point record's position. */
  function shownAt(record) {
    const members = byPosition.get(positionKey(record.feature.geometry.coordinates)) || [];
    const view = dataset.evaluate(store.state);
    return shownHere(members, view.shown, layerOrder, names.recordName);
  }

  function item(record) {
    const button = el("button", "gba-item gba-chooser-item");
    button.type = "button";
    button.setAttribute("data-id", record.id);
    const swatch = el("span", "gba-swatch gba-swatch-point");
    swatch.style.setProperty("--gba-colour", looks.layerColour(record.layer));
    button.appendChild(swatch);
    button.appendChild(el("span", "gba-chooser-name", names.recordName(record)));
    const meta = [labels.get(record.layer) || record.layer];
    if (looks.isApproximate(record.p, popups.knownPrecision(record.p))) {
      meta.push(i18n.label("precision", record.p.coord_precision));
    }
    button.appendChild(el("span", "gba-chooser-meta", meta.join(" · ")));
    button.addEventListener("click", () => app.actions.select(record.id, { popup: true }));
    const li = el("li");
    li.appendChild(button);
    return li;
  }

  /** A popup at ``latlng`` listing ``records``; Escape closes it, arrows move between items. */
  function open(latlng, records) {
    const root = el("div", "gba-chooser");
    root.setAttribute("role", "group");
    const heading = el("h3", "gba-chooser-heading", i18n.t("same_point_heading", { count: records.length }));
    heading.id = "gba-chooser-heading";
    root.setAttribute("aria-labelledby", heading.id);
    root.appendChild(heading);
    const list = el("ul", "gba-chooser-list");
    for (const record of records) list.appendChild(item(record));
    root.appendChild(list);
    root.addEventListener("keydown", (event) => {
      const buttons = [...root.querySelectorAll("button")];
      const at = buttons.indexOf(document.activeElement);
      if (event.key === "Escape") {
        map.closePopup(popup);
        map.getContainer().focus();
      } else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && at >= 0) {
        const step = event.key === "ArrowDown" ? 1 : -1;
        buttons[(at + step + buttons.length) % buttons.length].focus();
      } else {
        return;
      }
      event.preventDefault();
      event.stopPropagation();
    });
    popup = L.popup({ className: "gba-chooser-popup", maxWidth: 320, minWidth: 200 })
      .setLatLng(latlng)
      .setContent(root)
      .openOn(map);
    root.querySelector("button")?.focus({ preventScroll: true });
  }

  return {
    add,
    shownAt,
    open,
    /** A point was clicked: the chooser when others share its spot, else false (its own popup). */
    pickPoint(record, latlng) {
      const here = shownAt(record);
      if (here.length < 2) return false;
      open(latlng, here);
      return true;
    },
    /** A cluster was clicked: the chooser when it cannot split, else false (zoom or spiderfy). */
    pickCluster(cluster, idOf) {
      const markers = cluster.getAllChildMarkers();
      if (!samePlace(markers.map((marker) => marker.getLatLng()))) return false;
      const record = dataset.get(idOf(markers[0]));
      if (!record) return false;
      const here = shownAt(record);
      if (here.length < 2) return false;
      open(cluster.getLatLng(), here);
      return true;
    },
  };
}
