/* The article cut into segments for highlighting: pure functions, no DOM.
 *
 * A proposal's quote is given as {start, end} offsets into the stored article, counted in
 * characters as Python counts them (code points).  A JavaScript string counts UTF-16 units, so
 * a character outside the Basic Multilingual Plane (CJK Extension B and later, e.g. 𠮷) counts
 * twice here: offsets are converted before cutting.  The page renders each segment with
 * textContent, so no article text is ever parsed as HTML.
 */

/** A function from a code-point offset to the UTF-16 index in `text` (or -1 past the end). */
export function codePointIndexer(text) {
  const units = [];
  let unit = 0;
  for (const character of text) {
    units.push(unit);
    unit += character.length;
  }
  units.push(unit);
  return (offset) => (Number.isInteger(offset) && offset >= 0 && offset < units.length ? units[offset] : -1);
}

/** The length of `text` in code points (Python's len()). */
export function codePointLength(text) {
  let length = 0;
  for (const _character of text) length += 1;
  return length;
}

/**
 * Cut `text` into consecutive segments that together are the whole text; each segment lists
 * the ids of the marks covering it (overlapping quotes give segments with several ids).
 * `marks`: [{id, start, end}] in code points.  A mark that is not inside the text (negative,
 * past the end, empty or reversed, not whole numbers) is left out and listed in `invalid`.
 * Returns {segments: [{text, start, end, ids}], invalid: [id]} with start/end in UTF-16 units.
 */
export function segments(text, marks) {
  const toUnit = codePointIndexer(text);
  const valid = [];
  const invalid = [];
  for (const mark of marks) {
    const start = toUnit(mark.start);
    const end = toUnit(mark.end);
    if (start < 0 || end < 0 || end <= start) invalid.push(mark.id);
    else valid.push({ id: mark.id, start, end });
  }
  const cuts = new Set([0, text.length]);
  for (const mark of valid) {
    cuts.add(mark.start);
    cuts.add(mark.end);
  }
  const points = [...cuts].sort((a, b) => a - b);
  const result = [];
  for (let i = 0; i + 1 < points.length; i += 1) {
    const start = points[i];
    const end = points[i + 1];
    const ids = valid.filter((mark) => mark.start <= start && end <= mark.end).map((mark) => mark.id);
    result.push({ text: text.slice(start, end), start, end, ids });
  }
  return { segments: result, invalid };
}

/** The marks of a proposal file's proposals: one per proposal that has a quote. */
export function quoteMarks(proposals) {
  const marks = [];
  for (const entry of proposals) {
    const quote = entry.proposal?.quote;
    if (quote) marks.push({ id: entry.proposal.id, start: quote.start, end: quote.end });
  }
  return marks;
}
