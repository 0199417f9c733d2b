import assert from "node:assert/strict";
import { test } from "node:test";
import { clusterPainter, clusterRadius } from "../../webapp/static/js/cluster-circles.js";

/** A document whose canvases record what is drawn on them. */
function recordingDocument() {
  const made = [];
  const context = (canvas) => {
    const calls = [];
    const ctx = new Proxy(
      { calls },
      {
        get: (target, name) => (name in target ? target[name] : (...args) => calls.push([name, ...args])),
        set: (_target, name, value) => {
          calls.push([`=${String(name)}`, value]);
          return true;
        },
      },
    );
    canvas.ctx = ctx;
    return ctx;
  };
  return {
    made,
    createElement(tag) {
      assert.equal(tag, "canvas");
      const canvas = { width: 0, height: 0, getContext: () => context(canvas) };
      made.push(canvas);
      return canvas;
    },
  };
}

const red = { fillColor: "#c00" };
const blue = { color: "#00c" };

test("a cluster's radius grows with its count, within 7 to 28 px", () => {
  assert.equal(clusterRadius(1), 7);
  assert.equal(clusterRadius(2), 10);
  assert.equal(clusterRadius(1e9), 28);
});

test("each circle is drawn once per colour, size and ratio, then copied centred on the cluster", () => {
  const doc = recordingDocument();
  const draw = clusterPainter(doc);
  const tile = recordingDocument().createElement("canvas").getContext("2d");
  const list = [
    { x: 10, y: 20, r: 10.1, count: 2, style: red },
    { x: 50, y: 60, r: 10.2, count: 2, style: red }, // the same circle (to the half pixel)
    { x: 90, y: 30, r: 10.1, count: 2, style: blue }, // another colour
  ];
  draw(tile, list, 2);
  assert.equal(doc.made.length, 2);
  const [first] = doc.made;
  assert.equal(first.width, 44); // 2 × (10 + 1) CSS px at ratio 2
  const fills = first.ctx.calls.filter(([name]) => name === "=fillStyle").map(([, value]) => value);
  assert.deepEqual(fills, ["#c00"]);
  assert.ok(first.ctx.calls.some(([name, ...args]) => name === "arc" && args[2] === 10));
  // Drawn opaque whatever alpha the tile's own features left on the context.
  const firstCopy = tile.calls.findIndex(([name]) => name === "drawImage");
  assert.deepEqual(tile.calls.slice(0, firstCopy), [["=globalAlpha", 1]]);
  const copies = tile.calls.filter(([name]) => name === "drawImage");
  assert.deepEqual(
    copies.map(([, image, x, y, w, h]) => [doc.made.indexOf(image), x, y, w, h]),
    [
      [0, -1, 9, 22, 22],
      [0, 39, 49, 22, 22],
      [1, 79, 19, 22, 22],
    ],
  );
  // A later tile reuses the circles.
  draw(tile, list, 2);
  assert.equal(doc.made.length, 2);
  draw(tile, list, 1);
  assert.equal(doc.made.length, 4);
});

test("the counts are written on the biggest cluster of each square", () => {
  const draw = clusterPainter(recordingDocument());
  const tile = recordingDocument().createElement("canvas").getContext("2d");
  draw(
    tile,
    [
      { x: 5, y: 5, r: 20, count: 120, style: red },
      { x: 8, y: 8, r: 12, count: 5, style: red }, // same square, smaller: no label
      { x: 100, y: 100, r: 28, count: 12500, style: blue },
    ],
    1,
  );
  const texts = tile.calls.filter(([name]) => name === "fillText").map(([, text]) => text);
  assert.deepEqual(texts.sort(), ["120", "13k"]);
});
