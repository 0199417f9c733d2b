import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import vm from "node:vm";

import { createFrameHeight, heightMessages, hostMessageKind, pymMessage } from "../../webapp/static/js/frame-height.js";
import { embedScriptUrl, responsiveSnippet } from "../../webapp/static/js/permalink.js";
import { pageConfig } from "./helpers.js";

// ---- the embed's side (js/frame-height.js) ----

test("pym.js framing: pym, id, type and message joined by xPYMx", () => {
  assert.equal(pymMessage("gba", "height", "512"), "pymxPYMxgbaxPYMxheightxPYMx512");
});

test("a host's hello, and pym.js's width for our child id only, start the auto height", () => {
  assert.equal(hostMessageKind({ type: "gba-map:hello" }), "hello");
  assert.equal(hostMessageKind("pymxPYMxgbaxPYMxwidthxPYMx640", "gba"), "width");
  assert.equal(hostMessageKind("pymxPYMxotherxPYMxwidthxPYMx640", "gba"), null);
  assert.equal(hostMessageKind("pymxPYMxgbaxPYMxwidthxPYMx640", null), null);
  for (const other of [null, undefined, 7, "hello", { type: "gba-map:height" }, { type: "hello" }, []]) {
    assert.equal(hostMessageKind(other, "gba"), null, JSON.stringify(other));
  }
});

test("the height goes out in our format, Datawrapper's and (with a child id) pym.js's", () => {
  assert.deepEqual(heightMessages(640), [
    { data: { type: "gba-map:height", height: 640 }, targetOrigin: "*" },
    { data: { "datawrapper-height": { "gba-map": 640 } }, targetOrigin: "*" },
  ]);
  const withPym = heightMessages(640, { hostOrigin: "https://news.example", pymId: "c1" });
  assert.equal(withPym[0].targetOrigin, "https://news.example"); // ours only to the host that said hello
  assert.deepEqual(withPym[2], { data: "pymxPYMxc1xPYMxheightxPYMx640", targetOrigin: "*" });
});

/** A window inside a frame: its parent records what it is sent. */
function frameWindow(height) {
  const listeners = [];
  const observers = [];
  const parent = { sent: [], postMessage: (data, origin) => parent.sent.push({ data, origin }) };
  const classes = new Set();
  const doc = {
    documentElement: { classList: { add: (name) => classes.add(name) } },
    body: { getBoundingClientRect: () => ({ height: height.value }) },
  };
  const win = {
    parent,
    document: doc,
    addEventListener: (_type, listener) => listeners.push(listener),
    ResizeObserver: class {
      constructor(callback) {
        observers.push(callback);
      }
      observe() {}
    },
  };
  const dispatch = (event) => {
    for (const listener of listeners) listener(event);
  };
  return {
    win,
    parent,
    classes,
    dispatch,
    resize: () => {
      for (const callback of observers) callback();
    },
  };
}

test("inside a frame: ready, then the height on hello and on every change; nothing from strangers", () => {
  const height = { value: 700.2 };
  const { win, parent, classes, dispatch, resize } = frameWindow(height);
  const sized = [];
  const frame = createFrameHeight({ query: {}, map: { invalidateSize: () => sized.push(true) }, win });
  assert.deepEqual(parent.sent, [{ data: { type: "gba-map:ready" }, origin: "*" }]);
  dispatch({ source: {}, origin: "https://evil.example", data: { type: "gba-map:hello" } });
  assert.equal(frame.active(), false); // not from our parent window
  dispatch({ source: parent, origin: "https://news.example", data: { type: "gba-map:hello" } });
  assert.equal(frame.active(), true);
  assert.ok(classes.has("gba-auto-height") && sized.length > 0);
  assert.deepEqual(parent.sent.at(-2), {
    data: { type: "gba-map:height", height: 701 },
    origin: "https://news.example",
  });
  const count = parent.sent.length;
  resize(); // same height: nothing new
  assert.equal(parent.sent.length, count);
  height.value = 480;
  resize();
  assert.equal(parent.sent.at(-2).data.height, 480);
});

test("outside a frame nothing starts; childId or autoheight start without a hello", () => {
  const top = { document: {}, addEventListener() {} };
  top.parent = top;
  assert.equal(createFrameHeight({ query: { autoheight: true }, map: null, win: top }), null);
  const { win, parent } = frameWindow({ value: 500 });
  const frame = createFrameHeight({ query: { childId: "c9" }, map: null, win });
  assert.equal(frame.active(), true);
  assert.ok(parent.sent.some((message) => message.data === "pymxPYMxc9xPYMxheightxPYMx500"));
});

// ---- the snippet ----

test("the responsive snippet is the iframe snippet plus embed.js, served beside the embed page", () => {
  const site = { urls: pageConfig.urls, base: "https://map.example/?lang=en" };
  assert.equal(embedScriptUrl(site), "https://map.example/embed.js");
  const snippet = responsiveSnippet("https://map.example/embed?a=1&b=2", "Map", embedScriptUrl(site));
  const [iframe, script] = snippet.split("\n");
  assert.match(iframe, /^<iframe src="https:\/\/map\.example\/embed\?a=1&amp;b=2" .*allowfullscreen data-gba-map>/);
  assert.equal(script, '<script src="https://map.example/embed.js" async></script>');
});

// ---- the host's side (embed.js, a classic script run here in a sandbox) ----

const EMBED_JS = readFileSync(new URL("../../webapp/static/embed.js", import.meta.url), "utf-8");

function hostPage(frames) {
  const listeners = [];
  const window = {
    addEventListener: (type, listener) => type === "message" && listeners.push(listener),
  };
  const document = {
    currentScript: { src: "https://map.example/embed.js" },
    querySelectorAll: () => frames,
  };
  vm.runInNewContext(EMBED_JS, { window, document, location: { href: "https://news.example/story" }, URL });
  return {
    window,
    send: (event) => {
      for (const listener of listeners) listener(event);
    },
    listeners,
  };
}

/** A copy made in this realm (objects posted from the sandbox have its prototypes). */
const plain = (value) => JSON.parse(JSON.stringify(value));

function mapFrame(src, { marked = false } = {}) {
  const contentWindow = { sent: [], postMessage: (data, origin) => contentWindow.sent.push({ data, origin }) };
  return {
    contentWindow,
    style: {},
    getAttribute: (name) => (name === "src" ? src : null),
    hasAttribute: (name) => marked && name === "data-gba-map",
    addEventListener() {},
  };
}

test("embed.js greets map frames at their src origin and sizes each from its own messages", () => {
  const ours = mapFrame("https://map.example/embed?lang=en");
  const marked = mapFrame("https://mirror.example/embed", { marked: true });
  const other = mapFrame("https://video.example/player");
  const host = hostPage([ours, marked, other]);
  assert.deepEqual(plain(ours.contentWindow.sent), [
    { data: { type: "gba-map:hello" }, origin: "https://map.example" },
  ]);
  assert.equal(marked.contentWindow.sent[0].origin, "https://mirror.example");
  assert.deepEqual(other.contentWindow.sent, []);

  host.send({
    source: ours.contentWindow,
    origin: "https://map.example",
    data: { type: "gba-map:height", height: 612.4 },
  });
  host.send({
    source: marked.contentWindow,
    origin: "https://mirror.example",
    data: { type: "gba-map:height", height: 300 },
  });
  assert.equal(ours.style.height, "613px");
  assert.equal(marked.style.height, "300px");

  host.send({ source: ours.contentWindow, origin: "https://map.example", data: { type: "gba-map:ready" } });
  assert.equal(ours.contentWindow.sent.length, 2); // a frame that (re)loads is greeted again
});

test("embed.js ignores other origins, other windows and malformed heights", () => {
  const ours = mapFrame("https://map.example/embed");
  const other = mapFrame("https://video.example/player");
  const host = hostPage([ours, other]);
  const height = (value) => ({ type: "gba-map:height", height: value });
  host.send({ source: ours.contentWindow, origin: "https://evil.example", data: height(999) });
  host.send({ source: other.contentWindow, origin: "https://video.example", data: height(999) });
  host.send({ source: {}, origin: "https://map.example", data: height(999) });
  for (const bad of [-5, 0, "tall", Number.NaN, 1e9, null]) {
    host.send({ source: ours.contentWindow, origin: "https://map.example", data: height(bad) });
  }
  host.send({ source: ours.contentWindow, origin: "https://map.example", data: "pymxPYMxaxPYMxheightxPYMx999" });
  assert.equal(ours.style.height, undefined);
  assert.equal(other.style.height, undefined);
});

test("embed.js included twice keeps one listener", () => {
  const ours = mapFrame("https://map.example/embed");
  const host = hostPage([ours]);
  vm.runInNewContext(EMBED_JS, {
    window: host.window,
    document: { currentScript: null, querySelectorAll: () => [ours] },
    location: { href: "https://news.example/story" },
    URL,
  });
  assert.equal(host.listeners.length, 1);
  assert.equal(ours.contentWindow.sent.length, 2); // the second copy only greets again
});
