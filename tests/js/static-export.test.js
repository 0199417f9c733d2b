/* The static export's front end: search without a server (static-search.js), and the links
 * a page on files builds (language in the path, whole-layer downloads, embed.js by name). */

import assert from "node:assert/strict";
import { test } from "node:test";
import { downloadSite, downloadUrl } from "../../webapp/static/js/download-links.js";
import { embedUrl, pageUrl } from "../../webapp/static/js/permalink.js";
import { embedScript, languageUrl } from "../../webapp/static/js/share.js";
import { createMatcher, foldHan, foldLatin, hasHan, queryTerms } from "../../webapp/static/js/static-search.js";
import { pageConfig, testSite } from "./helpers.js";

// A search file as webapp/static_export.py search_data writes it, for three records.
const data = {
  layers: ["agencies", "links"],
  linkLayer: "links",
  summaryKeys: { point: ["id", "layer", "name_en"], link: ["id", "layer", "from_name_en"] },
  weights: [10, 4, 3, 1], // name, endpoint, place, description
  quality: { exact: 3, prefix: 2, inside: 1 },
  maxTerms: 8,
  maxResults: 50,
  folds: { 區: "区", 門: "门" },
  fields: [
    [0, "坪山区", "pingshan district", "ping shan qu"],
    [3, "坪山区政府", "the district government", ""],
    [0, "澳门", "macao sar", "ao men"],
    [1, "坪山区", "pingshan district", "ping shan qu"],
  ],
  entries: [
    [0, [0, 1], ["pingshan-district", "agencies", "Pingshan District"]],
    [0, [2], ["macau-sar", "agencies", "Macao SAR"]],
    [1, [3], ["link-1", "links", "Pingshan District"]],
  ],
};
const ids = (answer) => answer.results.map((result) => result.id);

test("folding: Traditional to the data's keys, Latin without tones, spaces or case", () => {
  const folds = new Map(Object.entries(data.folds));
  assert.equal(foldHan("坪山區", folds), "坪山区");
  assert.equal(foldHan("澳 門", folds), "澳门");
  assert.equal(foldHan("ＡＢ區", folds), "ab区"); // full width folded as NFKC does
  assert.equal(foldLatin("Píng-Shān"), "pingshan");
  assert.equal(foldLatin("ping2 shan1"), "pingshan");
  assert.ok(hasHan("香港 SAR") && !hasHan("Hong Kong"));
});

test("query terms: repeated ones count once, those beyond the limit are named", () => {
  const folds = new Map(Object.entries(data.folds));
  assert.deepEqual(queryTerms("ping Ping  坪山區 坪山区", folds, 8), { terms: ["ping", "坪山區"], ignored: [] });
  assert.deepEqual(queryTerms("a b c", folds, 2), { terms: ["a", "b"], ignored: ["c"] });
});

test("Traditional, Simplified, English and pinyin find the same record; names outrank ends", () => {
  const matcher = createMatcher(data);
  for (const query of ["坪山區", "坪山区", "pingshan", "Ping Shan", "píng shān"]) {
    assert.deepEqual(ids(matcher.find(query)), ["pingshan-district", "link-1"], query);
  }
  assert.deepEqual(ids(matcher.find("澳門")), ["macau-sar"]);
  assert.deepEqual(ids(matcher.find("men")), ["macau-sar"]); // a syllable start
  assert.deepEqual(ids(matcher.find("acao")), []); // not a word start
  assert.deepEqual(ids(matcher.find("pingshan macao")), []); // every term must match
  const found = matcher.find("坪山区");
  assert.equal(found.total, 2);
  assert.equal(found.results[0].layer, "agencies");
  assert.equal(found.results[0].name_en, "Pingshan District");
  // exact name (10 × 3 + 3/3) beats the link's exact end (4 × 3 + 3/3)
  assert.deepEqual(
    found.results.map((result) => result.score),
    [31, 13],
  );
  assert.deepEqual(ids(matcher.find("坪山区", 1)), ["pingshan-district"]);
});

test("a static page's links: the language in the path, no lang parameter, embed.js by its file", async () => {
  const urls = {
    ...pageConfig.urls,
    page: "index.html",
    embed: "embed/index.html",
    exported: true,
    langPages: [
      ["zh-Hant", "../index.html", "../embed/index.html"],
      ["en", "index.html", "embed/index.html"],
    ],
    embedScript: "../embed.js",
    downloadAll: "../download/all.geojson",
    downloadLayer: "../download/__layer__.geojson",
    downloadFile: "../download/__layer__.__format__",
    langDownloadFile: "../download/en/__layer__.__format__",
  };
  const { pageFinder } = await import("../../webapp/static/js/exported.js");
  urls.pageFor = pageFinder(urls.langPages);
  const site = downloadSite({ ...testSite("http://host.test/map/en/index.html?x=1"), urls }, pageConfig);
  const state = {
    filters: new Map([["jurisdiction", ["Macau"]]]),
    year: null,
    selected: "hkpc",
    layers: site.layers,
    basemap: pageConfig.defaultBasemap,
    view: { lat: 22.3, lon: 114.1, zoom: 11, bbox: [113.9, 22.3, 114.3, 22.5] },
    lang: "en",
    controls: true,
  };
  // The language links name the other language's file, without lang (the path says it).
  const other = new URL(languageUrl(state, site, "zh-Hant"));
  assert.equal(other.pathname, "/map/index.html");
  assert.equal(other.searchParams.get("lang"), null);
  assert.equal(other.searchParams.get("select"), "hkpc");
  // The page's own links stay on its files (their lang is the page's).
  assert.equal(new URL(pageUrl(state, site)).pathname, "/map/en/index.html");
  assert.equal(new URL(embedUrl(state, site)).pathname, "/map/en/embed/index.html");
  assert.equal(embedScript(site), "http://host.test/map/embed.js");
  // Files hold whole layers: the filters cannot narrow them, one layer is its file.
  assert.equal(downloadUrl(state, site, "geojson"), "../download/all.geojson");
  assert.equal(downloadUrl(state, site, "kml"), "../download/en/all.kml");
  assert.equal(downloadUrl({ ...state, layers: ["hospitals"] }, site, "csv"), "../download/hospitals.csv");
  assert.equal(downloadUrl({ ...state, layers: ["hospitals"] }, site, "fgb"), "../download/hospitals.fgb");
  assert.equal(downloadUrl(state, site, "fgb"), null); // no all.fgb: the layers mix geometry types
});

test("a static page reads the address itself: another lang opens its file, the view is the URL's", async () => {
  const { otherLanguagePage, startView } = await import("../../webapp/static/js/exported.js");
  const config = {
    urlLang: "zh-Hant",
    embed: false,
    view: {
      bounds: [
        [22, 113],
        [23, 114],
      ],
    },
    urls: {
      langPages: [
        ["zh-Hant", "index.html", "embed/index.html"],
        ["en", "en/index.html", "en/embed/index.html"],
      ],
    },
  };
  const href = "http://host.test/map/index.html?lang=en&select=hkpc&zoom=9&lat=22.5&lon=114";
  assert.equal(
    otherLanguagePage(config, "en", href),
    "http://host.test/map/en/index.html?select=hkpc&zoom=9&lat=22.5&lon=114",
  );
  assert.equal(
    otherLanguagePage({ ...config, embed: true }, "en", href).split("?")[0],
    "http://host.test/map/en/embed/index.html",
  );
  assert.equal(otherLanguagePage(config, "zh-Hant", href), null);
  assert.equal(otherLanguagePage(config, undefined, href), null);
  assert.deepEqual(startView(config, { lat: 22.5, lon: 114, zoom: 9 }), { center: [22.5, 114], zoom: 9 });
  assert.deepEqual(startView(config, { bbox: [113.9, 22.3, 114.3, 22.5] }), {
    bounds: [
      [22.3, 113.9],
      [22.5, 114.3],
    ],
  });
  assert.equal(startView(config, {}), config.view);
});
