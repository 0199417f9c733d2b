/* Credits beside the basemap's own attribution: the data licence and the boundaries' source;
 * and the map approval number (审图号) in the lower-left corner when the site sets one
 * (setting MAP_APPROVAL_NUMBER), where mainland rules want it.
 */

import { el } from "./dom.js";
import { escapeHtml } from "./escape.js";
import { L } from "./leaflet.js";

function link(href, text, rel) {
  return `<a href="${escapeHtml(href)}" target="_blank" rel="${rel} noopener">${escapeHtml(text)}</a>`;
}

/** Call before any other bottom-left control: Leaflet stacks later ones above it. */
export function addCredits({ map, config, i18n }) {
  const credits = config.credits;
  if (!credits) return null;
  // Leaflet takes attributions as HTML: our own markup, every text escaped.
  map.attributionControl?.addAttribution(
    `${escapeHtml(credits.data)} ${link(credits.licenceUrl, credits.licence, "license")} · ${link(credits.boundariesUrl, credits.boundaries, "external")}`,
  );
  if (!credits.approvalNumber) return null;
  const Approval = L.Control.extend({
    options: { position: "bottomleft" },
    onAdd() {
      const box = el("div", "gba-approval", i18n.t("approval_number", { number: credits.approvalNumber }));
      box.setAttribute("data-approval-number", credits.approvalNumber);
      return box;
    },
  });
  return new Approval().addTo(map);
}
