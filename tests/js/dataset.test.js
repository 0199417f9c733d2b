import assert from "node:assert/strict";
import { test } from "node:test";
import { createDataset } from "../../webapp/static/js/dataset.js";
import { createI18n } from "../../webapp/static/js/i18n.js";
import { createNames } from "../../webapp/static/js/names.js";
import { pageConfig, queryCases } from "./helpers.js";

const overlays = new Map(pageConfig.overlays.map((overlay) => [overlay.name, overlay]));
const geometry = {
  zones: {
    type: "Polygon",
    coordinates: [
      [
        [0, 0],
        [1, 0],
        [1, 1],
        [0, 0],
      ],
    ],
  },
  hospitals: { type: "Point", coordinates: [114, 22.5] },
  links: {
    type: "LineString",
    coordinates: [
      [114, 22.5],
      [114.1, 22.6],
    ],
  },
};

function loaded() {
  const dataset = createDataset(pageConfig);
  const byLayer = new Map();
  for (const record of queryCases.match.records) {
    const layer = record.properties.layer;
    if (!byLayer.has(layer)) byLayer.set(layer, []);
    byLayer.get(layer).push({ ...record, geometry: geometry[layer] });
  }
  for (const [layer, features] of byLayer) dataset.add(overlays.get(layer), features);
  return dataset;
}

const state = (patch = {}) => ({
  filters: new Map(),
  year: null,
  selected: null,
  layers: pageConfig.overlays.map((o) => o.name),
  ...patch,
});

test("records keyed by any id, constructor and __proto__ included", () => {
  const dataset = loaded();
  assert.equal(dataset.get("constructor").layer, "hospitals");
  assert.equal(dataset.get("__proto__").layer, "hospitals");
  assert.equal(dataset.get("toString"), null);
  assert.equal(dataset.records.length, 8);
});

test("a feature whose geometry the layer does not draw, or a repeated id, makes no record", () => {
  const dataset = createDataset(pageConfig);
  const added = dataset.add(overlays.get("hospitals"), [
    { properties: { id: "a" }, geometry: geometry.hospitals },
    { properties: { id: "a" }, geometry: geometry.hospitals },
    { properties: { id: "b" }, geometry: geometry.links },
    { properties: {}, geometry: geometry.hospitals },
  ]);
  assert.deepEqual(
    added.map((record) => record.id),
    ["a"],
  );
});

test("evaluate: filters and year pass, counts per layer", () => {
  const dataset = loaded();
  const view = dataset.evaluate(state({ filters: new Map([["touches_jurisdiction", ["Hong Kong"]]]) }));
  assert.deepEqual([...view.passes].sort(), ["h1", "l1", "z2"]);
  const exact = dataset.evaluate(state({ filters: new Map([["jurisdiction", ["Hong Kong"]]]) }));
  assert.deepEqual([...exact.passes].sort(), ["h1"]);
  assert.equal(view.counts.get("hospitals"), 1);
  assert.equal(view.counts.get("enterprises"), 0);
  assert.deepEqual([...dataset.evaluate(state({ year: 2020 })).passes].sort(), ["constructor", "h1", "l2", "z1"]);
});

test("a link is shown when the links layer is on, whatever its endpoints' layers", () => {
  const dataset = loaded();
  const view = dataset.evaluate(state({ layers: ["links"] }));
  assert.equal(view.shown(dataset.get("l1")), true);
  assert.equal(view.shown(dataset.get("h1")), false);
  const off = dataset.evaluate(state({ layers: ["hospitals"] }));
  assert.equal(off.shown(dataset.get("l1")), false);
});

test("the selection's roles: the feature, its passing links and their other ends", () => {
  const dataset = loaded();
  const roles = dataset.evaluate(state({ selected: "h2" })).highlight;
  assert.deepEqual(Object.fromEntries(roles), { h2: "selected", l1: "link", h1: "partner", l2: "link", z1: "partner" });
  const asOf2020 = dataset.evaluate(state({ selected: "h2", year: 2020 })).highlight;
  assert.equal(asOf2020, null); // h2 (2022) is not shown in 2020
  const link = dataset.evaluate(state({ selected: "l1" })).highlight;
  assert.deepEqual(Object.fromEntries(link), { l1: "selected", h1: "partner", h2: "partner" });
});

test("partners of a feature follow the filters; a link's are its two ends", () => {
  const dataset = loaded();
  const all = dataset.evaluate(state()).passes;
  assert.deepEqual(
    dataset
      .partnersOf("h2", all)
      .map((entry) => entry.partnerId)
      .sort(),
    ["h1", "z1"],
  );
  const medical = dataset.evaluate(state({ filters: new Map([["link_type", ["medical"]]]) })).passes;
  assert.deepEqual(
    dataset.partnersOf("h2", medical).map((entry) => entry.partnerId),
    ["h1"],
  );
  assert.deepEqual(
    dataset.partnersOf("l1", all).map((entry) => [entry.partnerId, entry.outgoing]),
    [
      ["h1", false],
      ["h2", true],
    ],
  );
});

test("names: values labelled by the catalogue, the data, or themselves", () => {
  const dataset = loaded();
  const names = createNames({ ...pageConfig, lang: "zh_hant" }, createI18n(pageConfig.text), dataset);
  assert.equal(names.valueLabel("status", "planned"), "Planned");
  assert.equal(names.valueLabel("jurisdiction", "Macau"), "Macau");
  dataset.learnName("jurisdiction", "Zhuhai", "珠海市");
  assert.equal(names.valueLabel("jurisdiction", "Zhuhai"), "珠海市");
  assert.equal(names.recordName(dataset.get("l1")), "名稱h1 ↔ 名稱h2");
  assert.deepEqual(dataset.presentValues("hospitals", "category"), ["clinic_centre", "hospital"]);
});

test("links between records named after Object.prototype's members: partners and highlight", () => {
  // geo build refuses such ids now; the page must not care what an id spells.
  const hostile = ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"];
  const dataset = createDataset(pageConfig);
  const point = (id) => ({ properties: { id, layer: "hospitals" }, geometry: geometry.hospitals });
  const link = (id, from, to) => ({
    properties: { id, layer: "links", from_id: from, to_id: to },
    geometry: geometry.links,
  });
  dataset.add(overlays.get("hospitals"), hostile.map(point));
  const links = [
    link("isPrototypeOf", "constructor", "__proto__"),
    link("propertyIsEnumerable", "toString", "constructor"),
    link("toLocaleString", "hasOwnProperty", "valueOf"),
    link("__defineGetter__", "__proto__", "valueOf"),
  ];
  assert.equal(dataset.add(overlays.get("links"), links).length, links.length);
  assert.equal(dataset.records.length, hostile.length + links.length);
  for (const id of hostile) assert.equal(dataset.get(id).id, id);
  assert.equal(dataset.get("isPrototypeOf").layer, "links");

  const view = dataset.evaluate(state());
  assert.equal(view.passes.size, hostile.length + links.length);
  const partners = (id) => dataset.partnersOf(id, view.passes).map((entry) => [entry.link.id, entry.partnerId]);
  assert.deepEqual(partners("constructor"), [
    ["isPrototypeOf", "__proto__"],
    ["propertyIsEnumerable", "toString"],
  ]);
  assert.deepEqual(partners("__proto__"), [
    ["isPrototypeOf", "constructor"],
    ["__defineGetter__", "valueOf"],
  ]);
  assert.equal(dataset.partnersOf("isPrototypeOf", view.passes)[1].partner.id, "__proto__");

  const roles = dataset.evaluate(state({ selected: "constructor" })).highlight;
  // Compared as pairs: in an object literal, __proto__ would set the prototype, not a key.
  assert.deepEqual([...roles].sort(), [
    ["__proto__", "partner"],
    ["constructor", "selected"],
    ["isPrototypeOf", "link"],
    ["propertyIsEnumerable", "link"],
    ["toString", "partner"],
  ]);
  assert.equal(dataset.evaluate(state({ selected: "__proto__" })).highlight.get("__proto__"), "selected");
  assert.equal(dataset.evaluate(state({ selected: "hasOwnProperty" })).highlight.get("valueOf"), "partner");
});
