/* How a record looks: plain style objects for Leaflet's setStyle, from plain data.  Pure. */

export const NEUTRAL = "#555555";

/**
 * What the page's config says about looks: layer colours, link type colours, the statuses
 * drawn dashed and the position precisions drawn as approximate.
 */
export function createLooks(config) {
  const layerColours = new Map((config.overlays || []).map((overlay) => [overlay.name, overlay.colour]));
  const linkColours = new Map(config.linkTypeColours || []);
  const dashed = new Set(config.dashedStatuses || []);
  const approximate = new Set(config.approximatePrecisions || []);
  return {
    layerColour: (layer) => layerColours.get(layer) || NEUTRAL,
    linkColour: (type) => linkColours.get(type) || NEUTRAL,
    hasLinkColour: (type) => linkColours.has(type),
    /** Drawn planned: a dashed status, or any record before its target year. */
    isPlannedAt(p, year) {
      if (dashed.has(p.status)) return true;
      return year !== null && year !== undefined && typeof p.target_year === "number" && year < p.target_year;
    },
    /** Drawn as an approximate position: its precision says so, or (unknown precision) its flag. */
    isApproximate(p, knownPrecision) {
      if (approximate.has(p.coord_precision)) return true;
      if (knownPrecision) return false;
      return p.approximate === true;
    },
  };
}

/**
 * The style of a record of ``kind`` ("point" | "polygon" | "link") in ``colour``;
 * ``role`` is its part in the selection ("selected" | "partner" | "link" | null),
 * ``dim`` whether something else is selected.
 */
export function styleFor({ kind, colour, planned, approximate, role, dim }) {
  const selected = role === "selected";
  if (kind === "point") {
    return {
      radius: selected ? 9 : 7,
      color: selected ? "#111111" : colour,
      weight: selected ? 3 : approximate || planned ? 2 : 1.5,
      opacity: dim ? 0.25 : 1,
      fillColor: approximate ? "#ffffff" : colour,
      fillOpacity: dim ? 0.15 : planned && !approximate ? 0.35 : 0.9,
      // dotted: planned; dashed: approximate position
      dashArray: planned ? "1 3" : approximate ? "3 2" : null,
    };
  }
  if (kind === "polygon") {
    return {
      color: selected ? "#111111" : colour,
      weight: selected ? 4 : 2,
      opacity: dim ? 0.25 : 1,
      fillColor: colour,
      fillOpacity: dim ? 0.03 : planned ? 0.05 : 0.15,
      dashArray: planned ? "2 5" : approximate ? "6 4" : null,
    };
  }
  return {
    color: colour,
    weight: role ? 5 : 3,
    opacity: dim ? 0.12 : 0.85,
    dashArray: planned ? "8 6" : null,
  };
}

/** A short key of what changes a record's look, so unchanged records are not restyled. */
export function lookKey(planned, dim, role) {
  return (planned ? "p" : "") + (dim ? "d" : "") + (role || "");
}

/**
 * The jurisdiction outlines under the data: chosen jurisdictions tinted, SAR borders the
 * thickest lines (less so zoomed out, where Hong Kong's islands would merge into one patch).
 */
export function contextStyle({ district, sar, picked, zoom }) {
  const sarWeight = zoom >= 10 ? 3.2 : zoom >= 9 ? 2.4 : 1.8;
  return {
    color: sar ? "#22313f" : "#6b7a8f",
    weight: district ? 0.6 : sar ? sarWeight : 1.2,
    dashArray: district ? "2 3" : null,
    fillColor: picked ? "#ffe9a8" : sar ? "#eef2f6" : "#f4f1ea",
    fillOpacity: district ? 0 : picked ? 0.75 : 0.55,
  };
}
