import assert from "node:assert/strict";
import { test } from "node:test";
import { pointInPolygon, viewBbox } from "../../webapp/static/js/geometry.js";
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

test("viewBbox: the map's bounds as the server's bbox, across the antimeridian too", () => {
  assert.deepEqual(viewBbox(113.8, 22.4, 114.5, 22.8), [113.8, 22.4, 114.5, 22.8]);
  assert.deepEqual(viewBbox(177, 65, 183, 70), [177, 65, -177, 70]); // across 180°: minLon > maxLon
  assert.deepEqual(viewBbox(-183, 65, -177, 70), [177, 65, -177, 70]);
  assert.deepEqual(viewBbox(190, 10, 210, 20), [-170, 10, -150, 20]); // panned once round the world
  assert.deepEqual(viewBbox(170, 10, 180, 20), [170, 10, 180, 20]); // up to 180°, not across it
  assert.deepEqual(viewBbox(-300, -120, 250, 100), [-180, -90, 180, 90]); // wider than the world
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
