/* Rounding for the URLs and the map's positions.  Pure. */

/** ``value`` to ``digits`` decimals (22.410004 → 22.41 with 5). */
export function round(value, digits) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
