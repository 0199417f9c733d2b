import assert from "node:assert/strict";
import { test } from "node:test";
import { inBounds, labelSide, outsideEnd, stubEnd } from "../../webapp/static/js/outside.js";
import { groupByPosition, positionKey, samePlace, shownHere } from "../../webapp/static/js/same-point.js";
import { pageConfig } from "./helpers.js";

const gba = pageConfig.gbaBounds;
const beijing = [116.33, 39.92];
const hengqin = [113.52, 22.17];

test("a link's end outside the region is found from the data's flag and the region's bounds", () => {
  assert.equal(inBounds(hengqin, gba), true);
  assert.equal(inBounds(beijing, gba), false);
  assert.equal(outsideEnd([beijing, hengqin], { outside_gba: true }, gba), 0);
  assert.equal(outsideEnd([hengqin, [114, 22.5], beijing], { outside_gba: true }, gba), 2);
  assert.equal(outsideEnd([beijing, hengqin], {}, gba), null); // no flag: drawn in full
  assert.equal(outsideEnd([hengqin, [114, 22.5]], { outside_gba: true }, gba), null); // both ends inside
});

test("a stub is a fixed screen length towards the far end, never past it", () => {
  const end = stubEnd({ x: 100, y: 100 }, { x: 100, y: -900 }, 64);
  assert.deepEqual([end.x, end.y, end.angle], [100, 36, -90]);
  const short = stubEnd({ x: 0, y: 0 }, { x: 30, y: 40 }, 64);
  assert.deepEqual([short.x, short.y], [30, 40]);
  assert.deepEqual(stubEnd({ x: 5, y: 5 }, { x: 5, y: 5 }, 64), { x: 5, y: 5, angle: 0 });
  assert.deepEqual(labelSide(-90), { h: "centre", v: "above" }); // north: centred above the end
  assert.deepEqual(labelSide(-20), { h: "right", v: "above" });
  assert.deepEqual(labelSide(160), { h: "left", v: "below" });
});

const point = (id, layer, coordinates, name = id) => ({
  id,
  layer,
  kind: "point",
  p: { id, name_en: name },
  feature: { geometry: { type: "Point", coordinates } },
});

test("records are grouped by their stored position across layers", () => {
  const records = [
    point("a", "hospitals", [114.36869, 22.70418]),
    point("b", "agencies", [114.36869, 22.70418]),
    point("c", "agencies", [114.1, 22.3]),
    { id: "z", layer: "zones", kind: "polygon", feature: { geometry: { type: "Polygon", coordinates: [] } } },
  ];
  const groups = groupByPosition(records);
  assert.deepEqual(
    groups.get(positionKey([114.36869, 22.70418])).map((r) => r.id),
    ["a", "b"],
  );
  assert.equal(groups.size, 2);
  assert.equal(
    samePlace([
      { lat: 1, lng: 2 },
      { lat: 1, lng: 2 },
    ]),
    true,
  );
  assert.equal(
    samePlace([
      { lat: 1, lng: 2 },
      { lat: 1, lng: 2.0001 },
    ]),
    false,
  );
});

test("the chooser lists only shown records, by layer then name", () => {
  const here = [
    point("e2", "enterprises", [0, 0], "Beta"),
    point("h1", "hospitals", [0, 0], "Zed"),
    point("e1", "enterprises", [0, 0], "Alpha"),
    point("a1", "agencies", [0, 0], "Hidden"),
  ];
  const shown = (record) => record.layer !== "agencies";
  const order = ["hospitals", "agencies", "enterprises"];
  const ids = shownHere(here, shown, order, (r) => r.p.name_en).map((r) => r.id);
  assert.deepEqual(ids, ["h1", "e1", "e2"]);
});
