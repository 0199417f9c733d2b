import assert from "node:assert/strict";
import { test } from "node:test";
import { createStore, readQuery, sameState, snapshot } from "../../webapp/static/js/store.js";
import { fakeWindow, pageConfig, tables } from "./helpers.js";

const config = (patch = {}) => ({ ...pageConfig, ...patch });

test("the store reads the URL with the grammar, ignoring unknown parameters", () => {
  const window = fakeWindow("?fbclid=abc&utm_source=x&status=PLANNED&year=2021&layers=links,zones&basemap=gaode");
  const store = createStore(config(), window);
  const state = snapshot(store.state);
  assert.deepEqual(state.filters, { status: ["planned"] });
  assert.equal(state.year, 2021);
  assert.deepEqual(state.layers, ["zones", "links"]); // the config's order
  assert.equal(state.basemap, "gaode");
});

test("a bad parameter is dropped, the rest kept", () => {
  assert.deepEqual(readQuery("?year=1500&status=planned&category=nope", tables), { status: ["planned"] });
});

test("the URL is written only after startUrl, without the parameters the page ignores", async () => {
  const window = fakeWindow("?fbclid=abc&lang=zh-TW&status=planned");
  const store = createStore(config({ urlLang: "zh-Hant" }), window);
  store.setYear(2020);
  await new Promise((resolve) => setTimeout(resolve, 150));
  assert.deepEqual(window.history.writes, []);
  store.startUrl();
  const written = new URL(window.history.writes.at(-1));
  assert.equal(written.searchParams.has("fbclid"), false);
  assert.equal(written.searchParams.get("lang"), "zh-Hant");
  assert.equal(written.searchParams.get("status"), "planned");
  assert.equal(written.searchParams.get("year"), "2020");
});

test("subscribers hear each change once, with its reason; a no-op notifies nobody", () => {
  const store = createStore(config(), fakeWindow(""));
  const heard = [];
  store.subscribe((state, previous, change) => heard.push([change.reason, state.year, previous.year]));
  store.setYear(2020);
  store.setYear(2020);
  store.setFilter("status", ["planned"]);
  store.setFilter("status", ["planned"]);
  store.setFilter("status", []);
  assert.deepEqual(heard, [
    ["year", 2020, null],
    ["filters", 2020, 2020],
    ["filters", 2020, 2020],
  ]);
  assert.equal(store.state.filters.has("status"), false);
});

test("the latest year of the timeline means no year", () => {
  const store = createStore(config(), fakeWindow(""));
  store.setYear(pageConfig.timeline.last);
  assert.equal(store.state.year, null);
});

test("the guard keeps a rule over every state", () => {
  const store = createStore(config(), fakeWindow(""));
  store.setGuard((next) => (next.layers.includes("links") ? next : { ...next, selected: null }));
  store.select("l1");
  assert.equal(store.state.selected, "l1");
  store.setLayerVisible("links", false);
  assert.equal(store.state.selected, null);
  assert.deepEqual(sameState(store.state, { ...store.state }), true);
});

test("setFilters takes a parse result, keeps only the filters, and the year when given", () => {
  const store = createStore(config(), fakeWindow("?year=2020"));
  store.setFilters({ cross_border: false, lang: "en", link_type: [] }, undefined);
  assert.deepEqual(snapshot(store.state).filters, { cross_border: false });
  assert.equal(store.state.year, 2020);
  store.setFilters(new Map(), null);
  assert.equal(store.state.year, null);
});

test("a selection named after an Object.prototype member is read from the URL and written back", async () => {
  for (const id of ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"]) {
    const window = fakeWindow(`?select=${encodeURIComponent(id)}`);
    const store = createStore(config(), window);
    assert.equal(store.query.select, id);
    store.select(id);
    assert.equal(store.state.selected, id);
    store.startUrl();
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(new URL(window.history.writes.at(-1)).searchParams.get("select"), id);
  }
});
