/* Controls added by the embed flags: a fullscreen button and a scale bar (both hidden with
 * controls=false), and the static map (static=true: no interaction at all).
 */

import { el } from "./dom.js";
import { L } from "./leaflet.js";

/** A distance in metres as the scale bar writes it, in the page's units ("500 m", "2 公里"). */
export function formatDistance(metres, units) {
  return metres < 1000 ? `${metres} ${units.m}` : `${metres / 1000} ${units.km}`;
}

/** The Fullscreen API, standard or WebKit's (Safari on iPad); null where there is none. */
export function fullscreenApi(doc = globalThis.document) {
  if (!doc) return null;
  if (doc.fullscreenEnabled) {
    return {
      element: () => doc.fullscreenElement,
      request: (target) => target.requestFullscreen(),
      exit: () => doc.exitFullscreen(),
      event: "fullscreenchange",
    };
  }
  if (doc.webkitFullscreenEnabled) {
    return {
      element: () => doc.webkitFullscreenElement,
      request: (target) => target.webkitRequestFullscreen(),
      exit: () => doc.webkitExitFullscreen(),
      event: "webkitfullscreenchange",
    };
  }
  return null;
}

/** Four corners: the usual fullscreen glyph, drawn in the button's text colour. */
function cornersIcon() {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 14 14");
  svg.setAttribute("width", "14");
  svg.setAttribute("height", "14");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "gba-fullscreen-icon");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", "M1 5V1h4M9 1h4v4M13 9v4H9M5 13H1V9");
  path.setAttribute("fill", "none");
  path.setAttribute("stroke", "currentColor");
  path.setAttribute("stroke-width", "2");
  svg.appendChild(path);
  return svg;
}

function addScale(map, i18n) {
  // Metric only: the region, its maps and the data (length_km) are metric, in English too.
  const Scale = L.Control.Scale.extend({
    _updateMetric(maxMeters) {
      const metres = this._getRoundNum(maxMeters);
      const units = { m: i18n.t("scale_m"), km: i18n.t("scale_km") };
      this._updateScale(this._mScale, formatDistance(metres, units), metres / maxMeters);
    },
  });
  // Bottom right, stacked over the attribution: a long attribution line cannot cover it there.
  const scale = new Scale({ metric: true, imperial: false, position: "bottomright" }).addTo(map);
  scale.getContainer().classList.add("gba-scale");
  return scale;
}

function addFullscreen(map, i18n, api) {
  // The content element holds the map and the explore panel: both go full screen.
  const target = map.getContainer().closest(".gba-content") || map.getContainer();
  let button = null;
  const sync = () => {
    const on = api.element() === target;
    button.setAttribute("aria-pressed", String(on));
    const label = i18n.t(on ? "fullscreen_exit" : "fullscreen_enter");
    button.title = label;
    button.setAttribute("aria-label", label);
    map.invalidateSize();
  };
  const Fullscreen = L.Control.extend({
    options: { position: "topleft" },
    onAdd() {
      const bar = el("div", "leaflet-bar gba-fullscreen");
      button = el("button", "gba-fullscreen-button");
      button.type = "button";
      button.appendChild(cornersIcon());
      L.DomEvent.disableClickPropagation(bar);
      button.addEventListener("click", () => {
        const done = api.element() === target ? api.exit() : api.request(target);
        Promise.resolve(done).catch((error) => console.warn("GBA map: fullscreen refused", error));
      });
      bar.appendChild(button);
      return bar;
    },
  });
  new Fullscreen().addTo(map);
  document.addEventListener(api.event, sync);
  sync();
}

/** No dragging, zooming, popups or selection by click: the view stays as the URL set it. */
function freeze(map) {
  for (const handler of ["dragging", "touchZoom", "doubleClickZoom", "scrollWheelZoom", "boxZoom", "keyboard"]) {
    map[handler]?.disable();
  }
  if (map.tap) map.tap.disable();
  map.options.closePopupOnClick = false;
}

export function addMapExtras({ map, config, i18n }) {
  if (config.static) freeze(map);
  if (!config.controls) return;
  addScale(map, i18n);
  const api = config.static ? null : fullscreenApi();
  if (api) addFullscreen(map, i18n, api);
}
