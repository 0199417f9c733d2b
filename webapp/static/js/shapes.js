/* Leaflet layers for records: positions (shifted onto GCJ-02 tiles where needed), arrows
 * of directed links, cluster bubbles.
 */

import { shiftOf } from "./datum.js";
import { el } from "./dom.js";
import { L } from "./leaflet.js";
import { round } from "./numbers.js";
import { labelSide, outsideEnd, stubEnd } from "./outside.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const STUB_PX = 64; // the screen length of a link's stub towards an end outside the region

function arrowIcon(angleDegrees, colour, className = "gba-arrow") {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "-7 -7 14 14");
  svg.setAttribute("width", "16");
  svg.setAttribute("height", "16");
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("d", "M6,0 L-5,-5 L-2,0 L-5,5 Z");
  path.setAttribute("fill", colour);
  path.setAttribute("stroke", "#fff");
  path.setAttribute("stroke-width", "1");
  path.setAttribute("transform", `rotate(${angleDegrees})`);
  svg.appendChild(path);
  return L.divIcon({ html: svg, className, iconSize: [16, 16], iconAnchor: [8, 8] });
}

export function clusterIcon(colour) {
  return (cluster) => {
    const bubble = el("span", "gba-cluster-count", cluster.getChildCount());
    bubble.style.backgroundColor = colour;
    return L.divIcon({ html: bubble, className: "gba-cluster", iconSize: [30, 30] });
  };
}

/** Positions on the current basemap: WGS-84 as stored, shifted to GCJ-02 on Gaode's tiles (not in the SARs). */
export function createProjector(config) {
  const unshifted = new Set(config.unshiftedJurisdictions || []);
  let datum = "wgs84";
  const shift = (position, jurisdiction) => shiftOf(position, datum, unshifted.has(jurisdiction));
  const toLatLng = (position, jurisdiction) => {
    const d = shift(position, jurisdiction);
    return L.latLng(position[1] + d[1], position[0] + d[0]);
  };
  const rings = (coordinates, depth, jurisdiction) =>
    depth === 0 ? toLatLng(coordinates, jurisdiction) : coordinates.map((part) => rings(part, depth - 1, jurisdiction));
  return {
    get datum() {
      return datum;
    },
    set datum(value) {
      datum = value;
    },
    toLatLng,
    /** Polygon or MultiPolygon coordinates as Leaflet nests them. */
    polygon: (geometry, jurisdiction) => rings(geometry.coordinates, geometry.type === "Polygon" ? 2 : 3, jurisdiction),
    /** Each end of a link moves with its own endpoint; vertices in between take a share of both shifts. */
    link(coordinates, p) {
      const last = coordinates.length - 1;
      const start = shift(coordinates[0], p.from_jurisdiction);
      const end = shift(coordinates[last], p.to_jurisdiction);
      return coordinates.map((c, i) => {
        const f = last > 0 ? i / last : 0;
        return L.latLng(c[1] + start[1] + (end[1] - start[1]) * f, c[0] + start[0] + (end[0] - start[0]) * f);
      });
    },
  };
}

/**
 * The arrowhead of a directed link, 60 % along it.  Web Mercator is conformal and zooming
 * scales it uniformly, so the angle found at zoom 0 holds at every zoom.
 */
export function arrowMarker(map, latlngs, colour) {
  const points = latlngs.map((ll) => map.project(ll, 0));
  const lengths = [0];
  for (let i = 1; i < points.length; i++) lengths.push(lengths[i - 1] + points[i].distanceTo(points[i - 1]));
  const target = lengths[lengths.length - 1] * 0.6;
  let j = 1;
  while (j < points.length - 1 && lengths[j] < target) j++;
  const a = points[j - 1];
  const b = points[j];
  const span = lengths[j] - lengths[j - 1] || 1;
  const at = a.add(b.subtract(a).multiplyBy((target - lengths[j - 1]) / span));
  const angle = (Math.atan2(b.y - a.y, b.x - a.x) * 180) / Math.PI;
  return L.marker(map.unproject(at, 0), {
    icon: arrowIcon(round(angle, 1), colour),
    interactive: false,
    keyboard: false,
    zIndexOffset: -1000, // under the cluster bubbles, whichever layer loaded first
  });
}

/**
 * The stub of a link whose end ``outside`` (an index of ``latlngs``) lies outside the region:
 * from the other end, STUB_PX on screen towards it, at the map's current zoom.
 */
function stubLine(map, latlngs, outside) {
  const inside = latlngs[outside === 0 ? latlngs.length - 1 : 0];
  const zoom = map.getZoom();
  const end = stubEnd(map.project(inside, zoom), map.project(latlngs[outside], zoom), STUB_PX);
  return { latlngs: [inside, map.unproject(L.point(end.x, end.y), zoom)], angle: round(end.angle, 1) };
}

/** The label at a stub's end naming the far end ("→ Beijing: Chinese Academy of Sciences"). */
function stubLabelIcon(text, angle) {
  const side = labelSide(angle);
  const label = el("span", "gba-stub-text", text);
  return L.divIcon({
    html: label,
    className: `gba-stub-label gba-stub-${side.h} gba-stub-${side.v}`,
    iconSize: [0, 0],
  });
}

/** (Re)draws a stub for the current zoom: its line, arrowhead and label. */
export function placeStub(shape, record, { map, projector, looks, stubText }) {
  const full = projector.link(record.feature.geometry.coordinates, record.p);
  const { latlngs, angle } = stubLine(map, full, shape.stub.outside);
  shape.layer.setLatLngs(latlngs);
  const end = latlngs[1];
  const colour = looks.linkColour(record.p.link_type);
  if (!shape.arrow) {
    shape.arrow = L.marker(end, { interactive: false, keyboard: false, zIndexOffset: -1000 });
  }
  shape.arrow.setLatLng(end).setIcon(arrowIcon(angle, colour, "gba-arrow gba-stub-arrow"));
  const text = stubText(record, shape.stub.outside === 0 ? "from" : "to");
  if (shape.stub.text !== text || shape.stub.angle !== angle) {
    shape.stub.text = text;
    shape.stub.angle = angle;
    shape.label.setIcon(stubLabelIcon(text, angle));
  }
  shape.label.setLatLng(end);
}

/** The Leaflet layer drawing ``record`` (with its tooltip and popup bound), and its arrow. */
export function makeShape(record, context) {
  const { map, projector, looks, popups, config } = context;
  const p = record.p;
  const geometry = record.feature.geometry;
  const interactive = !config.static;
  let layer;
  let arrow = null;
  let stub = null;
  let label = null;
  if (record.kind === "point") {
    layer = L.circleMarker(projector.toLatLng(geometry.coordinates, p.jurisdiction), { radius: 7, interactive });
    layer.bindTooltip(() => popups.tooltip(record));
  } else if (record.kind === "polygon") {
    layer = L.polygon(projector.polygon(geometry, p.jurisdiction), { interactive });
    layer.bindTooltip(() => popups.tooltip(record));
  } else {
    const colour = looks.linkColour(p.link_type);
    const latlngs = projector.link(geometry.coordinates, p);
    layer = L.polyline(latlngs, { color: colour, interactive });
    layer.bindTooltip(() => popups.tooltip(record), { sticky: true });
    const outside = outsideEnd(geometry.coordinates, p, config.gbaBounds);
    if (outside !== null) {
      stub = { outside, text: null, angle: null };
      label = L.marker(latlngs[0], { interactive, keyboard: interactive, icon: stubLabelIcon("", 0) });
      label.on("click", () => layer.openPopup(label.getLatLng()));
    } else if (p.directed && latlngs.length > 1) {
      arrow = arrowMarker(map, latlngs, colour);
    }
  }
  layer.bindPopup(() => popups.popup(record), { maxWidth: 340 });
  if (record.kind === "point" && interactive) {
    // A click where other shown records share the spot opens the chooser, not this popup.
    layer.off("click", layer._openPopup, layer);
    layer.on("click", (event) => {
      if (!context.pickPoint(record, layer.getLatLng())) layer.openPopup(layer.getLatLng());
      L.DomEvent.stop(event);
    });
  }
  const shape = { layer, arrow, stub, label };
  if (stub) placeStub(shape, record, context);
  return shape;
}

/** Moves a shape to its record's position on the current basemap; returns the new arrow, if any. */
export function placeShape(shape, record, context) {
  const { map, projector, looks } = context;
  const geometry = record.feature.geometry;
  const p = record.p;
  if (record.kind === "point") {
    shape.layer.setLatLng(projector.toLatLng(geometry.coordinates, p.jurisdiction));
  } else if (record.kind === "polygon") {
    shape.layer.setLatLngs(projector.polygon(geometry, p.jurisdiction));
  } else if (shape.stub) {
    placeStub(shape, record, context);
  } else {
    const latlngs = projector.link(geometry.coordinates, p);
    shape.layer.setLatLngs(latlngs);
    if (shape.arrow) shape.arrow = arrowMarker(map, latlngs, looks.linkColour(p.link_type));
  }
}
