import assert from "node:assert/strict";
import { test } from "node:test";
import { createI18n } from "../../webapp/static/js/i18n.js";
import { createRefusals, REFUSED, refusalNote } from "../../webapp/static/js/tile-refusals.js";
import { pageConfig } from "./helpers.js";

const i18n = createI18n(pageConfig.text);
const tile = (z, x, y, query = "") => `http://127.0.0.1:5000/tiles/enterprises/${z}/${x}/${y}.mvt${query}`;

test("a refused tile is noted once per place, and forgotten when that place answers or is asked again", () => {
  const refusals = createRefusals();
  refusals.answered(tile(5, 26, 13, "?cluster=1"), REFUSED);
  refusals.answered(tile(5, 26, 13, "?cluster=1&status=operating"), REFUSED);
  refusals.answered(tile(5, 26, 14), 200);
  assert.equal(refusals.count, 1);
  refusals.answered(tile(5, 27, 13), REFUSED);
  assert.equal(refusals.count, 2);
  refusals.asked(tile(5, 27, 13, "?year=2020")); // other filters: the old answer no longer shows
  assert.equal(refusals.count, 1);
  refusals.answered(tile(5, 26, 13, "?status=planned"), 200);
  assert.equal(refusals.count, 0);
});

test("other failures are not refusals, and a zoom forgets every refusal", () => {
  const refusals = createRefusals();
  for (const status of [404, 500, 502, 504]) refusals.answered(tile(8, 209, 111), status);
  assert.equal(refusals.count, 0);
  refusals.answered(tile(8, 209, 111), REFUSED);
  refusals.answered(tile(8, 209, 112), REFUSED);
  refusals.clear();
  assert.equal(refusals.count, 0);
});

test("the note is the page's words for any refused tile and nothing for none", () => {
  assert.equal(refusalNote(0, i18n), "");
  const note = refusalNote(3, i18n);
  assert.equal(note, pageConfig.text["tiled.refused"]);
  assert.match(note, /zoom in or narrow the filter/);
  assert.equal(refusalNote(1, i18n), note);
});
