import assert from "node:assert/strict";
import { test } from "node:test";
import { createI18n, fill } from "../../webapp/static/js/i18n.js";
import { pageConfig } from "./helpers.js";

const i18n = createI18n(pageConfig.text);

test("t() fills placeholders and falls back to the key", () => {
  assert.equal(i18n.t("search_count_of", { shown: 10, total: 50 }), "10 of 50");
  assert.equal(i18n.t("no_such_key"), "no_such_key");
});

test("label() reads <kind>.<value> and falls back to the raw value", () => {
  assert.equal(i18n.label("status", "planned"), "Planned");
  assert.equal(i18n.label("unit", "RMB bn"), "RMB bn");
  assert.equal(i18n.label("category", "not_in_the_catalogue"), "not_in_the_catalogue");
  assert.equal(i18n.label("status", null), "");
});

test("keys named like Object properties are not in the catalogue", () => {
  const small = createI18n({ title: "Map" });
  assert.equal(small.has("constructor"), false);
  assert.equal(small.t("__proto__"), "__proto__");
  assert.equal(small.label("category", "constructor"), "constructor");
});

test("fill() keeps unknown placeholders and takes a Map", () => {
  assert.equal(fill("{a} and {b}", { a: 1 }), "1 and {b}");
  assert.equal(fill("{constructor}", {}), "{constructor}");
  assert.equal(fill("{n} left", new Map([["n", 3]])), "3 left");
});

test("the page's catalogue has the keys the front end uses", () => {
  for (const key of ["copied", "search_more", "leaflet_zoom_in", "leaflet_zoom_out", "leaflet_close_popup"]) {
    assert.ok(i18n.has(key), key);
  }
});
