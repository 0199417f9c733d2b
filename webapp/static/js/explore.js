/* Parts of the page fetched with import() only when they are needed, so a reader who never
 * uses them never downloads them: the explore panel's (filters, timeline, partners, pairs,
 * list), loaded when the panel is first open; its search, when the search box is first
 * focused; and the page header's (share panel, image links), loaded when the page has a
 * header (not in /embed).  The server preloads only the modules main.js imports statically
 * (webapp/assets.py `static_imports`).
 */

/**
 * The search box's code, fetched on its first focus or keystroke (listening from the start, so
 * no keystroke comes before the listener); what was typed meanwhile is searched.
 */
export function searchOnFirstUse(app) {
  const input = document.getElementById("gba-search-input");
  let loading = null;
  const load = () => {
    loading ??= import("./search.js").then(({ createSearch }) => {
      const search = createSearch(app);
      if (input.value.trim()) search.search(input.value);
      return search;
    });
    return loading;
  };
  if (input) {
    input.addEventListener("focus", load, { once: true });
    input.addEventListener("input", load, { once: true });
    if (document.activeElement === input || input.value) load();
  }
  return { load };
}

/** Create the explore panel's parts; they read the state on their first render. */
export async function loadExplore(app) {
  const [filters, timeline, partners, pairs, list] = await Promise.all([
    import("./filters.js"),
    import("./timeline.js"),
    import("./partners.js"),
    import("./pairs-panel.js"),
    import("./list.js"),
  ]);
  return {
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
