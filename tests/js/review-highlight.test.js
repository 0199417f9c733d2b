import assert from "node:assert/strict";
import { test } from "node:test";

import { quotedText } from "../../webapp/static/review/article.js";
import { codePointIndexer, codePointLength, quoteMarks, segments } from "../../webapp/static/review/highlight.js";

const text = "坪山高新區將學習借鑒河套、前海地區的經驗做法。";

function marked(result) {
  return result.segments.filter((part) => part.ids.length).map((part) => [part.text, part.ids]);
}

test("segments cover the whole text, in order, and mark each quote by its offsets", () => {
  const result = segments(text, [{ id: "record-hetao", start: 10, end: 12 }]);
  assert.equal(result.segments.map((part) => part.text).join(""), text);
  assert.deepEqual(marked(result), [["河套", ["record-hetao"]]]);
  assert.deepEqual(result.invalid, []);
});

test("overlapping quotes cut the text where each starts and ends, with every id that covers a part", () => {
  const result = segments(text, [
    { id: "link", start: 0, end: 12 },
    { id: "hetao", start: 10, end: 12 },
    { id: "qianhai", start: 13, end: 15 },
  ]);
  assert.deepEqual(marked(result), [
    ["坪山高新區將學習借鑒", ["link"]],
    ["河套", ["link", "hetao"]],
    ["前海", ["qianhai"]],
  ]);
});

test("offsets count characters as Python does: a character outside the BMP is one, not two", () => {
  const wide = "𠮷野家與港大合作";
  assert.equal(wide.length, 9); // UTF-16 units
  assert.equal(codePointLength(wide), 8); // Python's len()
  const toUnit = codePointIndexer(wide);
  assert.equal(toUnit(1), 2);
  assert.equal(toUnit(8), 9);
  assert.equal(toUnit(9), -1);
  const result = segments(wide, [{ id: "hku", start: 4, end: 6 }]);
  assert.deepEqual(marked(result), [["港大", ["hku"]]]);
  assert.equal(quotedText(wide, { quote: { start: 0, end: 3 } }), "𠮷野家");
});

test("a quote that does not fit the text is left out and reported, never cut wrongly", () => {
  const result = segments(text, [
    { id: "past-end", start: 20, end: 99 },
    { id: "reversed", start: 5, end: 2 },
    { id: "empty", start: 3, end: 3 },
    { id: "negative", start: -1, end: 2 },
    { id: "fraction", start: 1.5, end: 4 },
    { id: "string", start: "1", end: 4 },
  ]);
  assert.deepEqual(result.invalid, ["past-end", "reversed", "empty", "negative", "fraction", "string"]);
  assert.deepEqual(result.segments, [{ text, start: 0, end: text.length, ids: [] }]);
  assert.equal(quotedText(text, { quote: { start: 20, end: 99 } }), "");
});

test("markup in the article stays text: segments are plain strings for textContent", () => {
  const hostile = "<img src=x onerror=alert(1)>港科大";
  const result = segments(hostile, [{ id: "hkust", start: 28, end: 31 }]);
  assert.deepEqual(marked(result), [["港科大", ["hkust"]]]);
  assert.equal(result.segments[0].text, "<img src=x onerror=alert(1)>");
});

test("quoteMarks takes each proposal's quote offsets, skipping proposals without one", () => {
  const marks = quoteMarks([
    { proposal: { id: "a", kind: "record", quote: { start: 1, end: 3 } } },
    { proposal: { id: "b", kind: "figure" } },
  ]);
  assert.deepEqual(marks, [{ id: "a", start: 1, end: 3 }]);
});
