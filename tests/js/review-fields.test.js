import assert from "node:assert/strict";
import { test } from "node:test";

import {
  categoryOptions,
  changesFrom,
  editFields,
  needsPosition,
  readVocab,
} from "../../webapp/static/review/fields.js";

// As webapp/review.py page_config sends them: [key, value] pairs in the schema's order.
const vocab = readVocab({
  layers: [
    ["hospitals", ["hospital", "clinic_centre"]],
    ["universities", ["university", "research_institute"]],
  ],
  point_layers: ["hospitals", "universities"],
  categories: [
    ["hospital", "Hospital"],
    ["clinic_centre", "Clinic centre"],
    ["university", "University"],
  ],
  link_types: [
    ["medical", "Medical"],
    ["research", "Research"],
  ],
  statuses: [
    ["operating", "Operating"],
    ["planned", "Planned"],
  ],
  precisions: [
    ["building", "Building"],
    ["district", "Approximate (district level)"],
  ],
  checks: [["english_name", "the English name"]],
  figure_kinds: [
    ["area_km2", "Planned area (km²)"],
    ["beds", "Beds"],
  ],
});

const record = {
  proposal: { id: "record-x", kind: "record", layer: "hospitals", check: ["english_name", "position"] },
  record: { id: "x", category: "hospital", name_zh_hant: "甲醫院", name_zh_hans: "甲医院", status: "planned" },
};
const link = {
  proposal: { id: "link-a-b", kind: "link", check: ["direction"] },
  link: { id: "a-to-b", from: "a", to: "b", link_type: "medical", status: "planned", directed: true, year: 2021 },
};

function formOf(fields, overrides = {}) {
  return new Map(fields.map((field) => [field.name, String(overrides[field.name] ?? field.value)]));
}

test("an untouched form changes nothing", () => {
  assert.deepEqual(changesFrom(record, formOf(editFields(record, vocab))), {});
  assert.deepEqual(changesFrom(link, formOf(editFields(link, vocab))), {});
});

test("a record's edited names, aliases, layer, category, status and year become changes; emptied ones null", () => {
  const fields = editFields(record, vocab);
  const changes = changesFrom(
    record,
    formOf(fields, {
      name_en: " Hospital X ",
      aliases: "甲院， X醫院、XH",
      layer: "universities",
      category: "research_institute",
      status: "operating",
      year: "2024",
      name_zh_hans: "",
    }),
  );
  assert.deepEqual(changes, {
    name_en: "Hospital X",
    name_zh_hans: null,
    category: "research_institute",
    status: "operating",
    aliases: ["甲院", "X醫院", "XH"],
    year: 2024,
    layer: "universities",
  });
});

test("a year that is not a whole number is refused with a message", () => {
  assert.throws(() => changesFrom(record, formOf(editFields(record, vocab), { year: "2021.5" })), /whole year/);
});

test("a link's direction: reversed swaps from and to; undirected clears directed", () => {
  const fields = editFields(link, vocab);
  assert.deepEqual(changesFrom(link, formOf(fields, { direction: "backward" })), {
    from: "b",
    to: "a",
    directed: true,
  });
  assert.deepEqual(changesFrom(link, formOf(fields, { direction: "undirected" })), { directed: false });
  assert.deepEqual(changesFrom(link, formOf(fields, { link_type: "research", year: "" })), {
    link_type: "research",
    year: null,
  });
});

test("the category choices follow the layer, and a hostile key is just a miss", () => {
  assert.deepEqual(
    categoryOptions("universities", vocab).map((option) => option.value),
    ["university", "research_institute"],
  );
  assert.deepEqual(categoryOptions("__proto__", vocab), []);
  assert.equal(vocab.categories.get("constructor"), undefined);
});

test("a mention's and a figure's record can be changed, and a figure's key and value", () => {
  const mention = { proposal: { id: "m", kind: "mention", target: "sztu" }, source: { citation: "c", quote: "q" } };
  assert.deepEqual(
    editFields(mention, vocab).map((field) => field.name),
    ["target"],
  );
  assert.deepEqual(changesFrom(mention, new Map([["target", " sznu "]])), { target: "sznu" });
  assert.deepEqual(changesFrom(mention, new Map([["target", "sztu"]])), {});
  const figure = {
    proposal: { id: "f", kind: "figure", target: "pingshan-high-tech-zone" },
    figure: { key: "area_km2", value: 51.6, quote: "51.6平方公里" },
  };
  const fields = editFields(figure, vocab);
  assert.deepEqual(
    fields.map((field) => field.name),
    ["target", "key", "value"],
  );
  assert.deepEqual(
    fields[1].options.map((option) => option.value),
    ["area_km2", "beds"],
  );
  assert.deepEqual(changesFrom(figure, formOf(fields)), {});
  assert.deepEqual(changesFrom(figure, formOf(fields, { key: "beds", value: "1500" })), { key: "beds", value: 1500 });
  assert.throws(() => changesFrom(figure, formOf(fields, { value: "about 50" })), /expected a number/);
});

test("a record without a location needs a position; nothing else does", () => {
  assert.equal(needsPosition(record), true);
  assert.equal(needsPosition({ ...record, record: { ...record.record, location: { place: "坪山区" } } }), false);
  assert.equal(needsPosition(link), false);
});
