import assert from "node:assert/strict";
import { test } from "node:test";
import { contextStyle, createLooks, lookKey, styleFor } from "../../webapp/static/js/style.js";
import { pageConfig } from "./helpers.js";

const looks = createLooks(pageConfig);

test("colours come from the config, neutral grey otherwise", () => {
  assert.equal(looks.linkColour("medical"), "#d62728");
  assert.equal(looks.linkColour("constructor"), "#555555");
  assert.equal(looks.layerColour("hospitals"), "#d55e00");
});

test("planned: a dashed status, or before the target year", () => {
  assert.equal(looks.isPlannedAt({ status: "planned" }, null), true);
  assert.equal(looks.isPlannedAt({ status: "operating", target_year: 2030 }, 2019), true);
  assert.equal(looks.isPlannedAt({ status: "operating", target_year: 2030 }, null), false);
  assert.equal(looks.isPlannedAt({ status: "operating", target_year: 2030 }, 2030), false);
});

test("approximate: by precision, else (unknown precision) by the record's flag", () => {
  assert.equal(looks.isApproximate({ coord_precision: "district" }, true), true);
  assert.equal(looks.isApproximate({ coord_precision: "building", approximate: true }, true), false);
  assert.equal(looks.isApproximate({ coord_precision: "made_up", approximate: true }, false), true);
});

test("styles: selected, dimmed, planned and approximate looks", () => {
  const point = styleFor({ kind: "point", colour: "#f00", planned: false, approximate: true, role: null, dim: false });
  assert.equal(point.fillColor, "#ffffff");
  assert.equal(point.dashArray, "3 2");
  const selected = styleFor({ kind: "polygon", colour: "#f00", planned: true, approximate: true, role: "selected" });
  assert.equal(selected.color, "#111111");
  assert.equal(selected.dashArray, "2 5");
  const link = styleFor({ kind: "link", colour: "#0f0", planned: true, role: "link", dim: false });
  assert.deepEqual(link, { color: "#0f0", weight: 5, opacity: 0.85, dashArray: "8 6" });
  assert.ok(styleFor({ kind: "link", colour: "#0f0", dim: true }).opacity < 0.3);
});

test("lookKey changes with what changes the look", () => {
  assert.notEqual(lookKey(true, false, null), lookKey(false, false, null));
  assert.equal(lookKey(false, false, null), "");
});

test("SAR borders are the thickest outlines, less so zoomed out", () => {
  const sar = contextStyle({ district: false, sar: true, picked: false, zoom: 12 });
  const city = contextStyle({ district: false, sar: false, picked: false, zoom: 12 });
  assert.ok(sar.weight >= 1.5 * city.weight);
  assert.ok(contextStyle({ district: false, sar: true, zoom: 8 }).weight < sar.weight);
  assert.equal(contextStyle({ district: false, sar: false, picked: true, zoom: 9 }).fillColor, "#ffe9a8");
});
