/* The list's part for the layers drawn from tiles (tiled.js hands it to list.js as
 * ``app.tiled.listPart``): their records are not all in the page, so each is listed a page at a
 * time from the OGC API (``app.tiled.page``: the state's filters, in id order), with a button for
 * the next.  Its clicks are taken before list.js's (a capturing listener on the list).
 */

import { el } from "./dom.js";

/**
 * ``item(record)`` makes a list item, ``render(state)`` redraws the whole list, ``rove(button)``
 * moves its Tab stop; ``pageSize`` records are asked for at a time.
 */
export function tiledPart(app, body, item, pageSize, render, rove) {
  const { config, i18n, store } = app;
  const overlays = new Map(
    config.overlays.filter((overlay) => overlay.tiled).map((overlay) => [overlay.name, overlay]),
  );
  const served = new Map(); // layer → {features, numberMatched} fetched for the current filters
  let servedFor = null; // the state whose filters and year those pages answer
  let serving = 0; // a token: answers for older filters are dropped

  /** A record made from a feature the API sent (added to the dataset only when chosen). */
  const recordOf = (overlay, feature) => ({
    id: feature.properties.id,
    layer: overlay.name,
    kind: overlay.kind,
    p: feature.properties,
    feature,
  });

  function fetchPage(overlay, state, offset) {
    const token = serving;
    // After the map's tiles for these filters: the page and its count wait, the map does not.
    app.tiled
      .afterTiles()
      .then(() => (token === serving ? app.tiled.page(overlay.name, state, pageSize, offset) : null))
      .then((page) => {
        if (!page || token !== serving) return;
        const before = served.get(overlay.name)?.features || [];
        served.set(overlay.name, { features: [...before, ...page.features], numberMatched: page.numberMatched });
        render(store.state);
      })
      .catch((error) => console.error("GBA map: cannot list", overlay.name, error));
  }

  /**
   * Append a layer's pages fetched so far for this state and a button for the next page (the
   * first page is asked for here).  Returns the layer's count (0 until known).
   */
  function renderLayer(overlay, state) {
    const got = served.get(overlay.name);
    if (!got) {
      fetchPage(overlay, state, 0);
      body.appendChild(el("p", "gba-hint", `${overlay.label} …`));
      return 0;
    }
    const count = got.numberMatched ?? got.features.length;
    const heading = el("h3", "gba-h3", `${overlay.label} (${count})`);
    heading.id = `gba-list-${overlay.name}`;
    heading.setAttribute("data-layer", overlay.name);
    body.appendChild(heading);
    const list = el("ul", "gba-items");
    list.setAttribute("aria-labelledby", heading.id);
    for (const feature of got.features) list.appendChild(item(recordOf(overlay, feature)));
    if (list.children.length) body.appendChild(list);
    if (got.features.length < count) {
      const left = Math.min(count - got.features.length, pageSize);
      const more = el("button", "gba-small-button gba-list-more", i18n.t("list_more", { n: left }));
      more.type = "button";
      more.setAttribute("data-layer", overlay.name);
      body.appendChild(more);
    }
    return count;
  }

  // A tiled layer's "more" asks for its next page; one of its items is selected, its record
  // (whole in the list) added to the dataset without a second fetch.  Other clicks are list.js's.
  body.addEventListener(
    "click",
    (event) => {
      const more = event.target.closest(".gba-list-more");
      const overlay = more && overlays.get(more.getAttribute("data-layer"));
      if (overlay) {
        event.stopPropagation();
        fetchPage(overlay, store.state, served.get(overlay.name)?.features.length || 0);
        return;
      }
      const button = event.target.closest("button[data-id]");
      const id = button?.getAttribute("data-id");
      for (const [layer, got] of served) {
        const feature = got.features.find((f) => f.properties.id === id);
        if (!feature) continue;
        event.stopPropagation();
        rove(button);
        app.tiled.remember(layer, feature);
        app.actions.select(id, { move: "fly" });
        return;
      }
    },
    true,
  );

  return {
    /** Append every visible tiled layer's part; returns how many records they hold in all. */
    render(state) {
      if (servedFor?.filters !== state.filters || servedFor?.year !== state.year) {
        servedFor = state;
        served.clear();
        serving += 1;
      }
      let count = 0;
      for (const overlay of overlays.values())
        if (state.layers.includes(overlay.name)) count += renderLayer(overlay, state);
      return count;
    },
  };
}
