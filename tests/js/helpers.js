/* Shared by the node tests: the lead's shared files (tests/cases/) and small fixtures. */

import { readFileSync } from "node:fs";

const read = (relative) => JSON.parse(readFileSync(new URL(relative, import.meta.url), "utf-8"));

/** The page config (lang en) the server writes for the shipped data's vocabulary. */
export const pageConfig = read("../cases/page_config.json");
/** URL → parse, and query → matching ids: the same file runs against the server. */
export const queryCases = read("../cases/query_cases.json");
export const tables = { queryables: pageConfig.queryables, params: pageConfig.params };

/** The site description permalink.js builds URLs from (the store's ``site``), at ``base``. */
export function testSite(base) {
  return {
    queryables: pageConfig.queryables,
    urls: pageConfig.urls,
    layers: pageConfig.overlays.map((overlay) => overlay.name),
    defaultBasemap: pageConfig.defaultBasemap,
    base,
  };
}

/** A fake location/history pair for the store. */
export function fakeWindow(search = "") {
  const location = { href: `http://example.test/${search}`, search };
  const history = {
    state: null,
    writes: [],
    replaceState(_state, _title, url) {
      this.writes.push(url);
      location.href = url;
      location.search = new URL(url).search;
    },
  };
  return { location, history };
}

export function feature(properties, geometry) {
  return { type: "Feature", properties, geometry };
}
