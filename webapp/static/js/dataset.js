/* The records on the map: one per feature or link, made once from the layers' GeoJSON.
 *
 * Which records pass the filters and the year, how many per layer, and the selection's
 * partners are worked out here from the store's state.  Pure: no Leaflet, no DOM; every
 * lookup keyed by data is a Map (an id such as "constructor" is an id like any other).
 */

import { compileMatcher } from "./query.js";

const GEOMETRY_KINDS = new Map([
  ["Point", "point"],
  ["Polygon", "polygon"],
  ["MultiPolygon", "polygon"],
  ["LineString", "link"],
]);

export function createDataset(config) {
  const queryables = config.queryables || [];
  const yearQueryable = queryables.find((q) => q.kind === "year");
  const linkLayer = config.linkLayer;
  const lang = config.lang;
  const records = [];
  const index = new Map();
  const linksByEnd = new Map();
  const names = new Map(); // property → Map of value → its name in the page's language
  let version = 0;
  let cache = null;

  function learnNames(p) {
    for (const queryable of queryables) {
      for (const property of queryable.properties || []) {
        const value = Object.hasOwn(p, property) ? p[property] : undefined;
        const name = p[`${property}_${lang}`];
        if (typeof value !== "string" || typeof name !== "string" || !name) continue;
        if (!names.has(queryable.name)) names.set(queryable.name, new Map());
        if (!names.get(queryable.name).has(value)) names.get(queryable.name).set(value, name);
      }
    }
  }

  return {
    linkLayer,
    /** Records of a layer's features (ids already taken, or geometries the layer does not draw, make none). */
    add(overlay, features) {
      let list = features;
      if (overlay.kind === "polygon") {
        // Larger zones first, so a zone inside another (a park of a national zone) is drawn above it.
        list = features.slice().sort((a, b) => (b.properties?.area_km2 || 0) - (a.properties?.area_km2 || 0));
      }
      const added = [];
      for (const feature of list) {
        const p = feature.properties || {};
        const kind = GEOMETRY_KINDS.get(feature.geometry?.type);
        if (typeof p.id !== "string" || !p.id || index.has(p.id) || kind !== overlay.kind) continue;
        const record = { id: p.id, layer: overlay.name, kind, p, feature };
        records.push(record);
        index.set(record.id, record);
        added.push(record);
        learnNames(p);
        if (overlay.name === linkLayer) {
          for (const end of [p.from_id, p.to_id]) {
            if (!end) continue;
            if (!linksByEnd.has(end)) linksByEnd.set(end, []);
            linksByEnd.get(end).push(record);
          }
        }
      }
      if (added.length) version += 1;
      return added;
    },
    /** Record a value's name in the page's language (the first one learned stays). */
    learnName(queryableName, value, name) {
      if (!names.has(queryableName)) names.set(queryableName, new Map());
      if (!names.get(queryableName).has(value)) names.get(queryableName).set(value, name);
    },
    /** A value's name from the data (e.g. its jurisdiction_zh_hant), or null when none was learned. */
    valueName(queryableName, value) {
      return names.get(queryableName)?.get(value) ?? null;
    },
    get(id) {
      return index.get(id) ?? null;
    },
    get records() {
      return records;
    },
    of(layer) {
      return records.filter((record) => record.layer === layer);
    },
    /** The values of ``property`` the records of ``layer`` (all layers when null) carry, sorted. */
    presentValues(layer, property) {
      const seen = new Set();
      for (const record of records) {
        if (layer !== null && record.layer !== layer) continue;
        const value = Object.hasOwn(record.p, property) ? record.p[property] : undefined;
        for (const item of Array.isArray(value) ? value : [value])
          if (item !== null && item !== undefined) seen.add(item);
      }
      return [...seen].sort();
    },
    /**
     * What the state shows: ``passes`` (ids passing the filters and the year), ``counts``
     * (passing records per layer), ``shown(record)`` (passes, on a visible layer), and the
     * selection's ``highlight`` (id → "selected" | "partner" | "link"; null without one).
     */
    evaluate(state) {
      if (!cache || cache.version !== version || cache.filters !== state.filters || cache.year !== state.year) {
        const query = new Map(state.filters);
        if (yearQueryable) query.set(yearQueryable.name, state.year);
        const matches = compileMatcher(query, queryables);
        const passes = new Set();
        const counts = new Map((config.overlays || []).map((overlay) => [overlay.name, 0]));
        for (const record of records) {
          if (!matches(record.p)) continue;
          passes.add(record.id);
          counts.set(record.layer, (counts.get(record.layer) || 0) + 1);
        }
        cache = { version, filters: state.filters, year: state.year, passes, counts };
      }
      const { passes, counts } = cache;
      const visible = new Set(state.layers);
      // A record is shown by its own layer alone: a link's endpoints may be on hidden layers.
      const shown = (record) => passes.has(record.id) && visible.has(record.layer);
      return { passes, counts, shown, highlight: this.highlight(state.selected, passes) };
    },
    highlight(selectedId, passes) {
      const selected = index.get(selectedId);
      if (!selected || !passes.has(selected.id)) return null;
      const roles = new Map([[selected.id, "selected"]]);
      const partner = (id) => {
        if (id && !roles.has(id)) roles.set(id, "partner");
      };
      if (selected.layer === linkLayer) {
        partner(selected.p.from_id);
        partner(selected.p.to_id);
      } else {
        for (const link of linksByEnd.get(selected.id) || []) {
          if (!passes.has(link.id)) continue;
          if (!roles.has(link.id)) roles.set(link.id, "link");
          partner(link.p.from_id === selected.id ? link.p.to_id : link.p.from_id);
        }
      }
      return roles;
    },
    /** The selected record's passing links with the other end, or a link's two ends. */
    partnersOf(id, passes) {
      const record = index.get(id);
      if (!record) return [];
      if (record.layer === linkLayer) {
        return [record.p.from_id, record.p.to_id].map((end) => ({
          link: record,
          partnerId: end,
          partner: index.get(end) ?? null,
          outgoing: end === record.p.to_id,
        }));
      }
      return (linksByEnd.get(id) || [])
        .filter((link) => passes.has(link.id))
        .map((link) => {
          const outgoing = link.p.from_id === id;
          const partnerId = outgoing ? link.p.to_id : link.p.from_id;
          return { link, partnerId, partner: index.get(partnerId) ?? null, outgoing };
        });
    },
  };
}
