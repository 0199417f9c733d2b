/* Leaflet's controls in the page's language: zoom, the layer control (with counts), the
 * popup's close button, the error box, and the ☰ button of the explore panel.
 */

import { byId, el } from "./dom.js";
import { escapeHtml } from "./escape.js";
import { L } from "./leaflet.js";

export function createControls({ map, basemaps, basemapInfo, config, store, dataset, i18n, drawing }) {
  let layerControl = null;
  let errorBox = null;

  function translateLayerToggle() {
    const toggle = layerControl?.getContainer().querySelector(".leaflet-control-layers-toggle");
    if (!toggle) return;
    toggle.title = i18n.t("leaflet_layers");
    toggle.setAttribute("aria-label", i18n.t("leaflet_layers"));
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
    const bases = {};
    for (const key of Object.keys(basemaps)) {
      const label = basemapInfo.get(key)?.label || i18n.label("basemap", key);
      bases[escapeHtml(label)] = basemaps[key];
    }
    const overlays = {};
    for (const overlay of config.overlays) {
      // Leaflet takes these names as HTML: our own markup, the label escaped.
      const swatch = `<span class="gba-swatch gba-swatch-${overlay.kind}" style="--gba-colour:${overlay.colour}"></span>`;
      const count = `<span class="gba-layer-count" data-layer="${escapeHtml(overlay.name)}"></span>`;
      overlays[swatch + escapeHtml(overlay.label) + count] = drawing.groups.get(overlay.name);
    }
    layerControl = L.control.layers(bases, overlays, { collapsed: config.embed }).addTo(map);
    translateLayerToggle();
  }

  function addExploreToggle(focusSearch) {
    const body = document.body;
    const wide = window.innerWidth >= (config.embed ? 900 : 760);
    if (!wide) body.classList.add("gba-explore-closed");
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
        button.addEventListener("click", () => {
          const closed = body.classList.toggle("gba-explore-closed");
          button.setAttribute("aria-expanded", String(!closed));
          map.invalidateSize();
          if (!closed) focusSearch();
        });
        return button;
      },
    });
    new Toggle().addTo(map);
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
