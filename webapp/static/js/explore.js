/* Parts of the page fetched with import() only when they are needed, so a reader who never
 * uses them never downloads them: the explore panel's (search, filters, timeline, partners,
 * pairs, list), loaded when the panel is first open, and the page header's (share panel,
 * image links), loaded when the page has a header (not in /embed).  The server preloads only
 * the modules main.js imports statically (webapp/assets.py `static_imports`).
 */

/** Create the explore panel's parts; they read the state on their first render. */
export async function loadExplore(app) {
  const [search, filters, timeline, partners, pairs, list] = await Promise.all([
    import("./search.js"),
    import("./filters.js"),
    import("./timeline.js"),
    import("./partners.js"),
    import("./pairs-panel.js"),
    import("./list.js"),
  ]);
  return {
    search: search.createSearch(app),
    filters: filters.createFilters(app),
    timeline: timeline.createTimeline(app),
    partners: partners.createPartners(app),
    pairs: pairs.createPairsPanel(app),
    list: list.createList(app),
  };
}

/** Once the data are in: fill the parts from the current state. */
export async function showExplore(parts) {
  await parts.list.prepare();
  parts.filters.build();
  parts.timeline.sync();
  parts.list.render();
  parts.pairs.render();
  parts.partners.render();
}

/** The header's share panel and image links, following the state. */
export async function loadHeader(app) {
  const [share, images] = await Promise.all([import("./share.js"), import("./image-links.js")]);
  share.createShare(app);
  images.createImageLinks(app);
}
