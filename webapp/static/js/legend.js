/* The legend: layer colours with the categories present, link types present, line and
 * marker styles, and the context outlines.
 */

import { el } from "./dom.js";
import { L } from "./leaflet.js";

function row(className, label, setup) {
  const line = el("div", "gba-legend-row");
  const mark = el("span", className);
  if (setup) setup(mark);
  line.appendChild(mark);
  line.appendChild(el("span", "gba-legend-label", label));
  return line;
}

export function addLegend({ map, config, dataset, i18n, names, looks, hasContext }) {
  const colour = (value) => (mark) => mark.style.setProperty("--gba-colour", value);
  const Legend = L.Control.extend({
    options: { position: "bottomleft" },
    onAdd() {
      const box = el("details", "gba-legend leaflet-bar");
      // Open on the full page, unless the explore panel (whose filters show the same
      // colours) is open beside it and the map has little room.
      const panelOpen =
        document.getElementById("gba-explore") && !document.body.classList.contains("gba-explore-closed");
      if (!config.embed && !(panelOpen && map.getSize().y < 900)) box.open = true;
      box.appendChild(el("summary", null, i18n.t("legend")));
      for (const overlay of config.overlays) {
        if (overlay.kind === "link") continue;
        const line = row(`gba-swatch gba-swatch-${overlay.kind}`, overlay.label, colour(overlay.colour));
        const present = dataset.presentValues(overlay.name, "category").map((key) => names.valueLabel("category", key));
        if (present.length) line.appendChild(el("div", "gba-legend-sub", present.join(" · ")));
        box.appendChild(line);
      }
      const linkTypes = dataset.presentValues(config.linkLayer, "link_type");
      if (linkTypes.length) {
        const links = config.overlays.find((overlay) => overlay.name === config.linkLayer);
        box.appendChild(el("div", "gba-legend-heading", links ? links.label : config.linkLayer));
        const grid = el("div", "gba-legend-grid");
        for (const type of linkTypes) {
          grid.appendChild(row("gba-legend-line", names.valueLabel("link_type", type), colour(looks.linkColour(type))));
        }
        box.appendChild(grid);
        box.appendChild(row("gba-legend-line gba-dashed", i18n.t("planned"), colour("#555555")));
        box.appendChild(row("gba-legend-arrow", i18n.t("directed"), (mark) => (mark.textContent = "➤")));
      }
      box.appendChild(row("gba-swatch gba-swatch-point", i18n.t("exact")));
      box.appendChild(row("gba-swatch gba-swatch-point gba-planned", i18n.t("planned_marker")));
      box.appendChild(row("gba-swatch gba-swatch-point gba-hollow", i18n.t("approximate")));
      if (hasContext) {
        box.appendChild(row("gba-legend-line gba-legend-sar", i18n.t("sar_boundary")));
        box.appendChild(row("gba-legend-line gba-legend-city", i18n.t("city_boundary")));
      }
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    },
  });
  return new Legend().addTo(map);
}
