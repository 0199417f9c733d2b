/* The page's words: config.text (the server's one catalogue, in the page's language) as a Map.
 *
 * Keys are UI words ("legend"), or vocabulary as "<kind>.<value>" ("status.planned",
 * "unit.RMB bn").  A missing key falls back to the raw value, so data the catalogue
 * does not know yet still reads as itself.  Pure: no DOM.
 */

/** "{name} ↔ {b}" with plain-text values; unknown placeholders stay as written. */
export function fill(template, values) {
  const known = values instanceof Map ? values : new Map(Object.entries(values || {}));
  return String(template).replace(/\{(\w+)\}/g, (whole, key) => (known.has(key) ? String(known.get(key)) : whole));
}

export function createI18n(text) {
  const words = new Map(Object.entries(text || {}));
  return {
    /** Whether the catalogue has ``key``. */
    has(key) {
      return words.has(key);
    },
    /** The word for ``key`` (the key itself when missing), with {placeholders} filled. */
    t(key, values) {
      const word = words.has(key) ? words.get(key) : key;
      return values ? fill(word, values) : word;
    },
    /** The label of a vocabulary value ("status", "planned" → "Planned"); the raw value when unknown. */
    label(kind, value) {
      if (value === null || value === undefined) return "";
      const key = `${kind}.${value}`;
      return words.has(key) ? words.get(key) : String(value);
    },
  };
}
