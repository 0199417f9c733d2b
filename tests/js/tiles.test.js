import assert from "node:assert/strict";
import { test } from "node:test";
import {
  asFeature,
  filtersInTiles,
  itemsUrl,
  itemUrl,
  labelledClusters,
  tiledLayers,
  tileUrl,
} from "../../webapp/static/js/tiles.js";
import { pageConfig } from "./helpers.js";

const urls = pageConfig.urls;
const queryables = pageConfig.queryables;
const state = (patch = {}) => ({ filters: new Map(), year: null, ...patch });
const archive = { ...urls, tiles: "/tiles/__layer__.pmtiles" };

test("the page config says which layers are tiled (the server's threshold decided)", () => {
  assert.deepEqual(tiledLayers(pageConfig), ["enterprises"]);
  assert.deepEqual(tiledLayers({ overlays: [{ name: "a" }, { name: "b", tiled: false }] }), []);
  assert.deepEqual(tiledLayers({}), []);
});

test("a tile URL is the layer's template with the filters and the year as the map's URL spells them", () => {
  assert.equal(tileUrl(urls, "enterprises", state(), queryables), "/tiles/enterprises/{z}/{x}/{y}.mvt");
  const filtered = tileUrl(
    urls,
    "enterprises",
    state({ filters: new Map([["jurisdiction", ["Hong Kong", "Macau"]]]), year: 2021 }),
    queryables,
  );
  const [path, search] = filtered.split("?");
  assert.equal(path, "/tiles/enterprises/{z}/{x}/{y}.mvt");
  assert.deepEqual(Object.fromEntries(new URLSearchParams(search)), { jurisdiction: "Hong Kong,Macau", year: "2021" });
});

test("a layer name is escaped in the URLs", () => {
  assert.equal(tileUrl(urls, "a/b?c", state(), queryables), "/tiles/a%2Fb%3Fc/{z}/{x}/{y}.mvt");
  assert.equal(itemUrl(urls, "x", "__proto__/../a b"), "/ogcapi/collections/x/items/__proto__%2F..%2Fa%20b?f=json");
});

test("an archive (no {z}) is filtered by the page: its URL carries no filter", () => {
  assert.equal(filtersInTiles(urls), true);
  assert.equal(filtersInTiles(archive), false);
  assert.equal(filtersInTiles({}), false);
  const filtered = tileUrl(archive, "enterprises", state({ year: 2020 }), queryables);
  assert.equal(filtered, "/tiles/enterprises.pmtiles");
});

test("the list's pages ask the OGC API with the same filters, a limit and an offset", () => {
  const url = new URL(
    itemsUrl(urls, "enterprises", state({ filters: new Map([["status", ["planned"]]]) }), queryables, {
      limit: 300,
      offset: 600,
    }),
    "http://example.test/",
  );
  assert.equal(url.pathname, "/ogcapi/collections/enterprises/items");
  assert.deepEqual(Object.fromEntries(url.searchParams), { status: "planned", limit: "300", offset: "600", f: "json" });
});

test("an API feature becomes a map feature with properties.id", () => {
  const item = {
    type: "Feature",
    id: "x-1",
    geometry: { type: "Point", coordinates: [114, 22] },
    properties: { a: 1 },
  };
  assert.deepEqual(asFeature(item).properties, { a: 1, id: "x-1" });
  assert.equal(asFeature({ id: "no-geometry" }), null);
  assert.equal(asFeature(null), null);
  const own = asFeature({ ...item, properties: { id: "kept" } });
  assert.equal(own.properties.id, "kept");
});

test("a tile's counts are written for the biggest cluster of each square, big enough to hold them", () => {
  const clusters = [
    { x: 5, y: 5, r: 12, count: 40 },
    { x: 10, y: 8, r: 20, count: 900 }, // same 24-px square, bigger: labelled instead
    { x: 30, y: 5, r: 8, count: 3 }, // too small for its text
    { x: 30, y: 40, r: 10, count: 5 },
    { x: 200, y: 200, r: 9, count: 4 },
  ];
  assert.deepEqual([...labelledClusters(clusters)].sort(), [1, 3, 4]);
  assert.deepEqual([...labelledClusters(clusters, 256)], [1]);
  assert.equal(labelledClusters([]).size, 0);
  // Thousands of 4-px cells: at most one label per square of the tile.
  const dense = [];
  for (let x = 0; x < 256; x += 4) for (let y = 0; y < 256; y += 4) dense.push({ x, y, r: 20, count: x + y });
  assert.equal(labelledClusters(dense).size, Math.ceil(256 / 24) ** 2);
});
