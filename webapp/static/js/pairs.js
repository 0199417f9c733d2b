/* Cross-border links per unordered pair of jurisdictions.  Pure: plain data in, plain data out. */

/**
 * ``links``: the properties of the links that are shown (passing the filters and the year,
 * on a visible layer); ``order``: jurisdictions in display order (others after, by name).
 * Returns [{key: "A|B", a, b, count}], most links first.
 */
export function pairCounts(links, order) {
  const rank = new Map((order || []).map((name, i) => [name, i]));
  const rankOf = (j) => (rank.has(j) ? rank.get(j) : rank.size);
  const pairs = new Map();
  for (const p of links) {
    if (p.cross_border !== true) continue;
    const ends = [p.from_jurisdiction, p.to_jurisdiction].sort(
      (a, b) => rankOf(a) - rankOf(b) || (a < b ? -1 : a > b ? 1 : 0),
    );
    const key = ends.join("|");
    if (!pairs.has(key)) pairs.set(key, { key, a: ends[0], b: ends[1], count: 0 });
    pairs.get(key).count += 1;
  }
  return [...pairs.values()].sort((x, y) => y.count - x.count || (x.key < y.key ? -1 : 1));
}
