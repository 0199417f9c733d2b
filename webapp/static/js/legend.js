/* The legend: layer colours with the categories present, link types present, line and
 * marker styles, and the context outlines.  A button (aria-expanded) shows and hides it;
 * it starts closed in the embed, on narrow screens, and beside the open explore panel on a
 * short map.
 */

import { el } from "./dom.js";
import { L } from "./leaflet.js";
import { isNarrow } from "./sheet.js";

function row(className, label, setup) {
  const line = el("div", "gba-legend-row");
  const mark = el("span", className);
  if (setup) setup(mark);
  line.appendChild(mark);
  line.appendChild(el("span", "gba-legend-label", label));
  return line;
}

export function addLegend({ map, config, dataset, i18n, names, looks, sheets, hasContext }) {
  const colour = (value) => (mark) => mark.style.setProperty("--gba-colour", value);
  const Legend = L.Control.extend({
    options: { position: "bottomleft" },
    onAdd() {
      const box = el("div", "gba-legend leaflet-bar");
      const button = el("button", "gba-legend-toggle", i18n.t("legend"));
      button.type = "button";
      button.setAttribute("aria-controls", "gba-legend-body");
      const body = el("div", "gba-legend-body");
      body.id = "gba-legend-body";
      box.appendChild(button);
      box.appendChild(body);
      const setOpen = (open) => {
        body.hidden = !open;
        button.setAttribute("aria-expanded", String(open));
        box.classList.toggle("gba-legend-open", open);
        if (open) sheets.opened("legend");
      };
      button.addEventListener("click", () => setOpen(body.hidden));
      sheets.add("legend", { isOpen: () => !body.hidden, close: () => setOpen(false) });
      // Open on the full page, unless the explore panel (whose filters show the same
      // colours) is open beside it and the map has little room, or the screen is narrow.
      const panelOpen =
        document.getElementById("gba-explore") && !document.body.classList.contains("gba-explore-closed");
      setOpen(!config.embed && !isNarrow() && !(panelOpen && map.getSize().y < 900));
      for (const overlay of config.overlays) {
        if (overlay.kind === "link") continue;
        const line = row(`gba-swatch gba-swatch-${overlay.kind}`, overlay.label, colour(overlay.colour));
        const present = dataset.presentValues(overlay.name, "category").map((key) => names.valueLabel("category", key));
        if (present.length) line.appendChild(el("div", "gba-legend-sub", present.join(" · ")));
        body.appendChild(line);
      }
      const linkTypes = dataset.presentValues(config.linkLayer, "link_type");
      if (linkTypes.length) {
        const links = config.overlays.find((overlay) => overlay.name === config.linkLayer);
        body.appendChild(el("div", "gba-legend-heading", links ? links.label : config.linkLayer));
        const grid = el("div", "gba-legend-grid");
        for (const type of linkTypes) {
          grid.appendChild(row("gba-legend-line", names.valueLabel("link_type", type), colour(looks.linkColour(type))));
        }
        body.appendChild(grid);
        body.appendChild(row("gba-legend-line gba-dashed", i18n.t("planned"), colour("#555555")));
        body.appendChild(row("gba-legend-arrow", i18n.t("directed"), (mark) => (mark.textContent = "➤")));
      }
      body.appendChild(row("gba-swatch gba-swatch-point", i18n.t("exact")));
      body.appendChild(row("gba-swatch gba-swatch-point gba-planned", i18n.t("planned_marker")));
      body.appendChild(row("gba-swatch gba-swatch-point gba-hollow", i18n.t("approximate")));
      if (hasContext) {
        body.appendChild(row("gba-legend-line gba-legend-sar", i18n.t("sar_boundary")));
        body.appendChild(row("gba-legend-line gba-legend-city", i18n.t("city_boundary")));
      }
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    },
  });
  return new Legend().addTo(map);
}
