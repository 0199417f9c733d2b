import assert from "node:assert/strict";
import { test } from "node:test";
import { pointInPolygon } from "../../webapp/static/js/geometry.js";
import { round } from "../../webapp/static/js/numbers.js";
import { sortInSlices } from "../../webapp/static/js/slices.js";

const ring = (w, s, e, n) => [
  { lat: s, lng: w },
  { lat: s, lng: e },
  { lat: n, lng: e },
  { lat: n, lng: w },
];

test("point in polygon, holes and multipolygons", () => {
  const square = [ring(0, 0, 10, 10), ring(4, 4, 6, 6)];
  assert.equal(pointInPolygon({ lat: 2, lng: 2 }, square), true);
  assert.equal(pointInPolygon({ lat: 5, lng: 5 }, square), false); // in the hole
  assert.equal(pointInPolygon({ lat: 21, lng: 21 }, [square, [ring(20, 20, 22, 22)]]), true);
  assert.equal(pointInPolygon({ lat: 1, lng: 1 }, []), false);
});

test("sortInSlices gives Array.prototype.sort's stable order", async () => {
  const items = Array.from({ length: 5000 }, (_, i) => ({ key: (i * 7919) % 97, i }));
  const compare = (a, b) => a.key - b.key;
  const sorted = await new Promise((resolve) => sortInSlices(items, compare, resolve));
  assert.deepEqual(sorted, items.slice().sort(compare));
});

test("round keeps the given decimals", () => {
  assert.equal(round(22.410004, 5), 22.41);
  assert.equal(round(-113.999996, 5), -114);
});
