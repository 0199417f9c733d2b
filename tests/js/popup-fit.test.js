import assert from "node:assert/strict";
import { test } from "node:test";
import { placePopup, popupRoom } from "../../webapp/static/js/popup-fit.js";

const box = (left, top, right, bottom) => ({ left, top, right, bottom });
const map = box(0, 0, 1000, 800);
const zoom = box(10, 10, 44, 80); // top-left
const layers = box(950, 10, 990, 50); // top-right
const legend = box(10, 500, 290, 790); // bottom-left, open

test("a popup in the clear does not move", () => {
  assert.deepEqual(placePopup(box(400, 200, 700, 500), map, [zoom, layers, legend]), [0, 0]);
});

test("a popup cut by the top edge moves down just enough", () => {
  assert.deepEqual(placePopup(box(400, -150, 700, 150), map, [zoom, layers, legend], 8), [0, 158]);
});

test("a popup under the layer control moves off it by the smallest move", () => {
  // 18 px to the left clears the control (with its margin), 48 px down too: left wins
  const [dx, dy] = placePopup(box(660, 10, 960, 300), map, [zoom, layers, legend], 8);
  assert.deepEqual([dx, dy], [-18, 0]);
});

test("a popup over the open legend goes beside it or above it", () => {
  const popup = box(100, 400, 400, 700);
  const [dx, dy] = placePopup(popup, map, [zoom, layers, legend], 8);
  const moved = box(popup.left + dx, popup.top + dy, popup.right + dx, popup.bottom + dy);
  assert.ok(moved.left >= legend.right + 8 || moved.bottom <= legend.top - 8, JSON.stringify(moved));
  assert.deepEqual([dx, dy], [198, 0]);
});

test("a popup wider than the gap between the columns of controls goes between the rows", () => {
  const phone = box(0, 0, 390, 670);
  const controls = [box(10, 10, 54, 200), box(332, 10, 380, 58), box(10, 610, 100, 660)];
  const popup = box(10, -100, 380, 200);
  const [dx, dy] = placePopup(popup, phone, controls, 8);
  assert.equal(dx, 0);
  assert.equal(popup.top + dy, 208);
});

test("no place for a popup taller than the map", () => {
  assert.equal(placePopup(box(400, 0, 700, 900), map, [], 8), null);
});

test("the room for a popup's content", () => {
  // fits between the columns: the map's height less margins and the popup's chrome
  assert.equal(popupRoom(300, map, [zoom, layers, legend], 8), 800 - 16 - 64);
  // too wide for the columns: the band between the rows
  const phone = box(0, 0, 390, 670);
  const controls = [box(10, 10, 54, 200), box(332, 10, 380, 58), box(10, 610, 100, 660)];
  assert.equal(popupRoom(370, phone, controls, 8), 610 - 200 - 16 - 64);
});
