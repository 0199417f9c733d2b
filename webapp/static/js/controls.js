/* Leaflet's controls in the page's language: zoom, the layer control (with counts), the
 * popup's close button, the error box, and the ☰ button of the explore panel.
 *
 * The layer control starts collapsed behind a real button (aria-expanded) that opens and
 * closes it by click, tap or keyboard; Leaflet's own toggle opens on hover and cannot be
 * tapped closed, so it is replaced.
 */

import { byId, el } from "./dom.js";
import { escapeHtml } from "./escape.js";
import { L } from "./leaflet.js";
import { isTouchFirst } from "./sheet.js";

const LIST_ROOM = 60; // px kept below the open layer list (zoom out of its way, attribution)

export function createControls({ map, basemaps, basemapInfo, config, store, dataset, i18n, drawing, sheets }) {
  let layerControl = null;
  let errorBox = null;

  /** The layer control's list opens and closes from one button, kept in view when open. */
  function makeLayerToggle() {
    const container = layerControl.getContainer();
    const list = container.querySelector(".leaflet-control-layers-list");
    container.querySelector("a.leaflet-control-layers-toggle")?.remove();
    list.id = "gba-layers-list";
    const button = el("button", "leaflet-control-layers-toggle gba-layers-toggle");
    button.type = "button";
    button.title = i18n.t("leaflet_layers");
    button.setAttribute("aria-label", i18n.t("leaflet_layers"));
    button.setAttribute("aria-controls", list.id);
    container.insertBefore(button, list);
    const isOpen = () => container.classList.contains("gba-layers-open");
    const setOpen = (open) => {
      container.classList.toggle("gba-layers-open", open);
      button.setAttribute("aria-expanded", String(open));
      list.style.maxHeight = open ? `${Math.max(120, map.getSize().y - container.offsetTop - LIST_ROOM)}px` : "";
      if (open) sheets.opened("layers");
    };
    setOpen(false);
    button.addEventListener("click", () => setOpen(!isOpen()));
    container.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && isOpen()) {
        setOpen(false);
        button.focus();
      }
    });
    // Like Leaflet's collapsed control: a click on the map, or a popup opening, closes it.
    map.on("click popupopen", () => {
      if (isOpen()) setOpen(false);
    });
    sheets.add("layers", { isOpen, close: () => setOpen(false) });
  }

  /** The layer control redraws its labels (dropping the counts) whenever a layer is added or removed. */
  function updateCounts() {
    const container = layerControl?.getContainer();
    if (!container) return;
    const counts = dataset.evaluate(store.state).counts;
    for (const span of container.querySelectorAll(".gba-layer-count")) {
      const name = span.getAttribute("data-layer");
      span.textContent = counts.has(name) && dataset.records.length ? ` (${counts.get(name)})` : "";
    }
  }

  function addLayerControl() {
    // Leaflet takes its lists as objects keyed by our own labels (never by data).
    const bases = {};
    for (const [key, layer] of basemaps) {
      const label = basemapInfo.get(key)?.label || i18n.label("basemap", key);
      bases[escapeHtml(label)] = layer;
    }
    const overlays = {};
    for (const overlay of config.overlays) {
      // Leaflet takes these names as HTML: our own markup, the label escaped.
      const swatch = `<span class="gba-swatch gba-swatch-${overlay.kind}" style="--gba-colour:${overlay.colour}"></span>`;
      const count = `<span class="gba-layer-count" data-layer="${escapeHtml(overlay.name)}"></span>`;
      overlays[swatch + escapeHtml(overlay.label) + count] = drawing.groups.get(overlay.name);
    }
    // collapsed: false keeps Leaflet's hover handlers off; the list is hidden by our button.
    layerControl = L.control.layers(bases, overlays, { collapsed: false }).addTo(map);
    makeLayerToggle();
  }

  /** ☰: opens and closes the explore panel; ``onOpen`` runs each time it opens (and now, if it starts open). */
  function addExploreToggle(focusSearch, onOpen) {
    const body = document.body;
    const wide = window.innerWidth >= (config.embed ? 900 : 760);
    if (!wide) body.classList.add("gba-explore-closed");
    else onOpen?.();
    const Toggle = L.Control.extend({
      options: { position: "topleft" },
      onAdd() {
        const button = el("button", "gba-explore-toggle", "☰");
        button.type = "button";
        button.id = "gba-explore-toggle";
        button.title = i18n.t("explore_toggle");
        button.setAttribute("aria-label", i18n.t("explore_toggle"));
        button.setAttribute("aria-controls", "gba-explore");
        button.setAttribute("aria-expanded", String(!body.classList.contains("gba-explore-closed")));
        L.DomEvent.disableClickPropagation(button);
        button.addEventListener("click", () => setOpen(body.classList.contains("gba-explore-closed")));
        return button;
      },
    });
    const panel = byId("gba-explore");
    const toggle = new Toggle().addTo(map);
    const button = toggle.getContainer();
    // First in its corner: on a phone the open sheet covers the map's lower part, not ☰.
    button.parentNode.insertBefore(button, button.parentNode.firstChild);
    function setOpen(open) {
      body.classList.toggle("gba-explore-closed", !open);
      button.setAttribute("aria-expanded", String(open));
      map.invalidateSize();
      if (!open) return;
      onOpen?.();
      sheets.opened("explore");
      // On touch screens, focusing the search would pop up the keyboard over the sheet.
      if (isTouchFirst()) panel.focus({ preventScroll: true });
      else focusSearch();
    }
    panel.tabIndex = -1;
    sheets.add("explore", {
      isOpen: () => !body.classList.contains("gba-explore-closed"),
      close: () => setOpen(false),
    });
  }

  if (map.zoomControl) map.removeControl(map.zoomControl); // folium's, in English
  if (config.controls) {
    L.control.zoom({ zoomInTitle: i18n.t("leaflet_zoom_in"), zoomOutTitle: i18n.t("leaflet_zoom_out") }).addTo(map);
    addLayerControl();
  }
  map.on("popupopen", (event) => {
    const close = event.popup.getElement()?.querySelector(".leaflet-popup-close-button");
    if (!close) return;
    close.setAttribute("aria-label", i18n.t("leaflet_close_popup"));
    close.title = i18n.t("leaflet_close_popup");
  });
  map.on("overlayadd overlayremove baselayerchange", updateCounts);
  store.subscribe(updateCounts);

  return {
    updateCounts,
    addExploreToggle,
    /** A line in the error box (made on the first error): "Could not load: Zones". */
    showError(label) {
      if (!errorBox) {
        const ErrorBox = L.Control.extend({
          options: { position: "topleft" },
          onAdd() {
            const box = el("div", "gba-error");
            box.setAttribute("role", "alert");
            return box;
          },
        });
        errorBox = new ErrorBox().addTo(map);
      }
      errorBox.getContainer().appendChild(el("div", null, `${i18n.t("load_error")}: ${label}`));
    },
    focusSearch: () => byId("gba-search-input")?.focus(),
  };
}
