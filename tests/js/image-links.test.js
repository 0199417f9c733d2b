import assert from "node:assert/strict";
import { test } from "node:test";
import { imageHref } from "../../webapp/static/js/image-links.js";
import { pageConfig, testSite } from "./helpers.js";

const layers = pageConfig.overlays.map((overlay) => overlay.name);
const site = testSite("http://example.test/");
const state = (patch = {}) => ({
  filters: new Map(),
  year: null,
  selected: null,
  layers,
  basemap: pageConfig.defaultBasemap,
  view: { lat: 22.41, lon: 114.12, zoom: 11, bbox: [113.9, 22.3, 114.3, 22.5] },
  lang: "en",
  controls: true,
  ...patch,
});

test("an image link keeps its path and size and takes the state's view, filters and selection", () => {
  const href = imageHref(
    "/image.png?lang=en&status=operating&width=1200&height=630",
    state({ filters: new Map([["status", ["planned"]]]), year: 2021, selected: "hkpc" }),
    site,
  );
  const [path, search] = href.split("?");
  assert.equal(path, "/image.png");
  const query = new URLSearchParams(search);
  assert.equal(query.get("status"), "planned");
  assert.equal(query.get("year"), "2021");
  assert.equal(query.get("select"), "hkpc");
  assert.equal(query.get("bbox"), "113.9,22.3,114.3,22.5");
  assert.equal(query.get("width"), "1200");
  assert.equal(query.get("height"), "630");
  assert.equal(query.has("zoom"), false);
});

test("a filter cleared in the state leaves the image link", () => {
  const href = imageHref("http://example.test/image.svg?lang=en&status=planned&width=800", state(), site);
  assert.ok(href.startsWith("http://example.test/image.svg?"));
  const query = new URLSearchParams(href.split("?")[1]);
  assert.equal(query.has("status"), false);
  assert.equal(query.get("width"), "800");
  assert.equal(query.has("height"), false);
});
