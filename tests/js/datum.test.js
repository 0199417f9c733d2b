import assert from "node:assert/strict";
import { test } from "node:test";
import { gcj02ToWgs84, insideChinaBox, shiftOf, wgs84ToGcj02 } from "../../webapp/static/js/datum.js";

test("a mainland point moves a few hundred metres onto GCJ-02", () => {
  const [lon, lat] = wgs84ToGcj02(114.05, 22.55);
  assert.ok(Math.abs(lon - 114.05) > 0.001 && Math.abs(lon - 114.05) < 0.01);
  assert.ok(Math.abs(lat - 22.55) > 0.001 && Math.abs(lat - 22.55) < 0.01);
});

test("points outside China's box are not shifted", () => {
  assert.deepEqual(wgs84ToGcj02(2.35, 48.85), [2.35, 48.85]);
  assert.equal(insideChinaBox(-74, 40.7), false);
});

test("the inverse returns the WGS-84 point within 1e-8 degrees", () => {
  for (const point of [
    [113.3, 23.1],
    [114.4, 22.7],
    [116.4, 39.9],
  ]) {
    const back = gcj02ToWgs84(...wgs84ToGcj02(...point));
    assert.ok(Math.abs(back[0] - point[0]) < 1e-8 && Math.abs(back[1] - point[1]) < 1e-8, String(point));
  }
});

test("shiftOf: nothing on WGS-84 tiles or for unshifted (SAR) positions", () => {
  assert.deepEqual(shiftOf([114.05, 22.55], "wgs84", false), [0, 0]);
  assert.deepEqual(shiftOf([114.05, 22.55], "gcj02", true), [0, 0]);
  const [dlon, dlat] = shiftOf([114.05, 22.55], "gcj02", false);
  assert.ok(dlon !== 0 && dlat !== 0);
});
