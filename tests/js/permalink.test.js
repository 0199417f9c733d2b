import assert from "node:assert/strict";
import { test } from "node:test";
import { downloadSite, downloadUrl } from "../../webapp/static/js/download-links.js";
import { embedUrl, iframeSnippet, pageUrl, viewParams } from "../../webapp/static/js/permalink.js";
import { parseQuery } from "../../webapp/static/js/query.js";
import { pageConfig, tables, testSite } from "./helpers.js";

const layers = pageConfig.overlays.map((overlay) => overlay.name);
const site = downloadSite(testSite("http://example.test/?fbclid=abc"), pageConfig);
const state = (patch = {}) => ({
  filters: new Map(),
  year: null,
  selected: null,
  layers,
  basemap: "osm",
  view: { lat: 22.41, lon: 114.12, zoom: 11.075, bbox: [113.9, 22.3, 114.3, 22.5] },
  lang: "en",
  controls: true,
  ...patch,
});

test("the page URL carries the state, rounds the zoom, and nothing else", () => {
  const url = new URL(
    pageUrl(
      state({ filters: new Map([["jurisdiction", ["Hong Kong", "Macau"]]]), year: 2021, selected: "hkpc" }),
      site,
    ),
  );
  assert.equal(url.pathname, "/");
  assert.deepEqual(Object.fromEntries(url.searchParams), {
    lang: "en",
    jurisdiction: "Hong Kong,Macau",
    year: "2021",
    select: "hkpc",
    lat: "22.41",
    lon: "114.12",
    zoom: "11",
  });
});

test("what the page writes, the grammar reads back", () => {
  const written = state({
    filters: new Map([
      ["cross_border", false],
      ["status", ["planned"]],
    ]),
    layers: ["zones", "links"],
    basemap: "gaode",
    controls: false,
  });
  const parsed = parseQuery(viewParams(written, site), tables);
  assert.deepEqual(parsed, {
    lang: "en",
    layers: ["zones", "links"],
    basemap: "gaode",
    controls: false,
    status: ["planned"],
    cross_border: false,
    lat: 22.41,
    lon: 114.12,
    zoom: 11,
  });
});

test("the embed URL gives the area as a bbox; the language links keep the view", () => {
  const embed = new URL(embedUrl(state(), site));
  assert.equal(embed.pathname, "/embed");
  assert.equal(embed.searchParams.get("bbox"), "113.9,22.3,114.3,22.5");
  assert.equal(embed.searchParams.has("lat"), false);
  const chinese = new URL(pageUrl(state(), site, { lang: "zh-Hans" }));
  assert.equal(chinese.searchParams.get("lang"), "zh-Hans");
  assert.equal(chinese.searchParams.get("zoom"), "11");
});

test("the iframe snippet escapes the URL and the title", () => {
  const snippet = iframeSnippet("http://x.test/embed?a=1&b=2", 'A "map" <here>');
  assert.ok(snippet.includes('src="http://x.test/embed?a=1&amp;b=2"'));
  assert.ok(snippet.includes('title="A &quot;map&quot; &lt;here&gt;"'));
});

test("the download: one layer's file, all with layers when some are off, none when none are on", () => {
  assert.equal(downloadUrl(state(), site), "/download/all.geojson");
  assert.equal(downloadUrl(state({ layers: ["zones"] }), site), "/download/zones.geojson");
  assert.equal(
    downloadUrl(state({ layers: ["zones", "links"], year: 2019 }), site),
    "/download/all.geojson?year=2019&layers=zones%2Clinks",
  );
  assert.equal(downloadUrl(state({ layers: [] }), site), null);
});

test("the download in every format of the page config: KML in the page's language, FlatGeobuf of one geometry type", () => {
  const extensions = pageConfig.downloadFormats.map((entry) => entry.extension);
  assert.ok(extensions.includes("gpkg") && extensions.includes("shp.zip") && extensions[0] === "geojson");
  assert.equal(downloadUrl(state(), site, "gpkg"), "/download/all.gpkg");
  assert.equal(downloadUrl(state({ layers: ["zones"] }), site, "shp.zip"), "/download/zones.shp.zip");
  assert.equal(
    downloadUrl(state({ layers: ["zones", "links"], year: 2019 }), site, "csv"),
    "/download/all.csv?year=2019&layers=zones%2Clinks",
  );
  assert.equal(downloadUrl(state({ lang: "zh-Hans" }), site, "kml"), "/download/all.kml?lang=zh-Hans");
  assert.equal(
    downloadUrl(state({ layers: ["hospitals", "universities"] }), site, "fgb"),
    "/download/all.fgb?layers=hospitals%2Cuniversities",
  );
  assert.equal(downloadUrl(state({ layers: ["zones", "hospitals"] }), site, "fgb"), null);
  assert.equal(downloadUrl(state({ layers: ["links"] }), site, "fgb"), "/download/links.fgb");
  assert.equal(downloadUrl(state({ layers: [] }), site, "graphml"), null);
});
