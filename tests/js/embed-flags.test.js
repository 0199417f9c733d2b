import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDistance, fullscreenApi } from "../../webapp/static/js/map-extras.js";
import { pageUrl } from "../../webapp/static/js/permalink.js";
import { createStore } from "../../webapp/static/js/store.js";
import { followSystemTheme, impliedBasemap, isDark, themeBasemap } from "../../webapp/static/js/theme.js";
import { fakeWindow, pageConfig } from "./helpers.js";

const dark = pageConfig.darkBasemap;
const light = pageConfig.defaultBasemap;
const config = (patch = {}) => ({ ...pageConfig, basemap: light, basemapGiven: false, ...patch });

test("the theme picks the dark basemap on a dark page only", () => {
  assert.equal(isDark("dark", false), true);
  assert.equal(isDark("auto", true), true);
  assert.equal(isDark("auto", false), false);
  assert.equal(isDark("light", true), false);
  assert.equal(themeBasemap(config({ theme: "dark" }), false), dark);
  assert.equal(themeBasemap(config({ theme: "auto" }), true), dark);
  assert.equal(themeBasemap(config({ theme: "auto" }), false), light);
  assert.equal(themeBasemap(config({ theme: "light" }), true), light);
  // with auto the system decides, so a basemap the URL chose is always written back
  assert.equal(impliedBasemap(config({ theme: "auto", basemapGiven: true }), true), null);
  assert.equal(impliedBasemap(config({ theme: "dark", basemapGiven: true }), false), dark);
});

function storeFor(search, patch, systemDark) {
  const window = fakeWindow(search);
  return { window, store: createStore(config(patch), { ...window, systemDark }) };
}

test("the theme's basemap is not written into the permalink; an explicit one is", () => {
  const url = (store) => new URL(pageUrl(store.state, store.site));
  let { store } = storeFor("?theme=auto", { theme: "auto" }, true);
  assert.equal(store.state.basemap, dark);
  assert.equal(url(store).searchParams.get("basemap"), null);
  assert.equal(url(store).searchParams.get("theme"), "auto");
  store.setBasemap("positron");
  assert.equal(url(store).searchParams.get("basemap"), "positron");

  ({ store } = storeFor("?theme=dark", { theme: "dark", basemap: dark }, false));
  assert.equal(store.state.basemap, dark);
  assert.equal(url(store).searchParams.get("basemap"), null);
  store.setBasemap(light);
  assert.equal(url(store).searchParams.get("basemap"), light); // the light one on a dark page was chosen

  ({ store } = storeFor("?theme=auto&basemap=osm", { theme: "auto", basemapGiven: true }, true));
  assert.equal(store.state.basemap, "osm");
  assert.equal(url(store).searchParams.get("basemap"), "osm");

  ({ store } = storeFor("?plain=1&static=1", { plain: true, static: true, theme: "light" }, false));
  const params = url(store).searchParams;
  assert.equal(params.get("plain"), "1");
  assert.equal(params.get("static"), "1");
  assert.equal(params.get("theme"), null);
});

test("with auto and no basemap in the URL, the basemap follows the system until the reader picks one", () => {
  const listeners = [];
  const body = { classList: new Set() };
  body.classList.toggle = function (name, on) {
    if (on) this.add(name);
    else this.delete(name);
  };
  const win = {
    document: { body },
    matchMedia: () => ({ matches: false, addEventListener: (_type, listener) => listeners.push(listener) }),
  };
  const { store } = storeFor("?theme=auto", { theme: "auto" }, false);
  followSystemTheme(store, config({ theme: "auto" }), win);
  assert.equal(body.classList.has("gba-dark"), false);
  listeners[0]({ matches: true });
  assert.equal(store.state.basemap, dark);
  assert.equal(body.classList.has("gba-dark"), true);
  listeners[0]({ matches: false });
  assert.equal(store.state.basemap, light);
  store.setBasemap("positron");
  listeners[0]({ matches: true });
  assert.equal(store.state.basemap, "positron");
  assert.equal(store.state.themeBasemap, dark);
});

test("the scale bar writes metres and kilometres in the page's words", () => {
  assert.equal(formatDistance(500, { m: "m", km: "km" }), "500 m");
  assert.equal(formatDistance(2000, { m: "米", km: "公里" }), "2 公里");
  assert.equal(formatDistance(1000, { m: "m", km: "km" }), "1 km");
});

test("fullscreen is offered only where the API is", () => {
  assert.equal(fullscreenApi({ fullscreenEnabled: false }), null);
  assert.equal(fullscreenApi(undefined), null);
  assert.equal(fullscreenApi({ fullscreenEnabled: true }).event, "fullscreenchange");
  assert.equal(fullscreenApi({ webkitFullscreenEnabled: true }).event, "webkitfullscreenchange");
});
