import assert from "node:assert/strict";
import { test } from "node:test";
import { pairCounts } from "../../webapp/static/js/pairs.js";

const link = (from, to, crossBorder = true) => ({
  from_jurisdiction: from,
  to_jurisdiction: to,
  cross_border: crossBorder,
});

test("pairs are unordered, ranked by the given order, most links first", () => {
  const pairs = pairCounts(
    [link("Shenzhen", "Hong Kong"), link("Hong Kong", "Shenzhen"), link("Macau", "Zhuhai"), link("A", "B", false)],
    ["Hong Kong", "Macau", "Shenzhen", "Zhuhai"],
  );
  assert.deepEqual(pairs, [
    { key: "Hong Kong|Shenzhen", a: "Hong Kong", b: "Shenzhen", count: 2 },
    { key: "Macau|Zhuhai", a: "Macau", b: "Zhuhai", count: 1 },
  ]);
});

test("no shown link, no pair (the links layer off gives an empty list)", () => {
  assert.deepEqual(pairCounts([], ["Hong Kong"]), []);
});

test("jurisdictions outside the order come after it, by name", () => {
  const pairs = pairCounts([link("Beijing", "Hong Kong"), link("constructor", "__proto__")], ["Hong Kong"]);
  assert.deepEqual(
    pairs.map((pair) => pair.key),
    ["Hong Kong|Beijing", "__proto__|constructor"],
  );
});
