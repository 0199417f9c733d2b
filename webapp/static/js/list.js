/* The list of what is shown: one button per record, grouped by layer, a page at a time,
 * navigable with the arrow keys (one item in the Tab order).  A tiled layer's records are not
 * all in the page: its part (list-tiled.js) pages through the OGC API, in id order.
 */

import { byId, el, icon } from "./dom.js";
import { sortInSlices } from "./slices.js";

const LIST_PAGE = 300; // items rendered at a time: a 100k layer must not build 100k buttons
const SLICED_SORT_MIN = 5000; // sorting 100k records by name takes half a second: done in slices

export function createList(app) {
  const { config, store, dataset, i18n, names, looks, drawing, actions } = app;
  const body = byId("gba-list-body");
  if (!body) return null;
  let limit = LIST_PAGE;
  let sorted = null;
  let part = null; // the tiled layers' part (list-tiled.js, made by tiled.js), from the first render on

  function order() {
    // Layer order, then names in the page's language.
    const collator = new Intl.Collator(config.urlLang);
    const rank = new Map(config.overlays.map((overlay, i) => [overlay.name, i]));
    const recordNames = new Map(dataset.records.map((record) => [record.id, names.recordName(record)]));
    return (a, b) =>
      rank.get(a.layer) - rank.get(b.layer) || collator.compare(recordNames.get(a.id), recordNames.get(b.id));
  }

  function rove(item) {
    for (const button of body.querySelectorAll("button[data-id]")) button.tabIndex = button === item ? 0 : -1;
  }

  function item(record) {
    const p = record.p;
    const li = el("li");
    const button = el("button", "gba-item");
    button.type = "button";
    button.tabIndex = -1;
    button.setAttribute("data-id", record.id);
    button.setAttribute("aria-label", names.accessibleName(record));
    const link = names.isLink(record);
    const overlay = config.overlays.find((o) => o.name === record.layer);
    button.appendChild(link ? icon("link", looks.linkColour(p.link_type)) : icon(overlay.kind, overlay.colour));
    const words = el("span", "gba-item-text");
    words.appendChild(el("span", "gba-item-name", names.recordName(record)));
    const meta = [
      link ? names.valueLabel("link_type", p.link_type) : names.valueLabel("category", p.category),
      names.valueLabel("status", p.status),
      typeof p.year === "number" ? String(p.year) : i18n.t("undated"),
    ];
    words.appendChild(el("span", "gba-item-meta", meta.join(" · ")));
    button.appendChild(words);
    if (drawing.isPlanned(record.id)) button.classList.add("gba-item-planned");
    li.appendChild(button);
    return li;
  }

  function markSelected(state, scroll) {
    for (const button of body.querySelectorAll('button[aria-current="true"]')) button.removeAttribute("aria-current");
    if (state.selected === null) return;
    const button = body.querySelector(`button[data-id="${CSS.escape(state.selected)}"]`);
    if (!button) return;
    button.setAttribute("aria-current", "true");
    if (!body.contains(document.activeElement)) rove(button);
    if (scroll) {
      // Scroll the list alone (the panel stays where the reader is), just enough to show it.
      const box = body.getBoundingClientRect();
      const at = button.getBoundingClientRect();
      if (at.top < box.top) body.scrollTop -= box.top - at.top;
      else if (at.bottom > box.bottom) body.scrollTop += at.bottom - box.bottom;
    }
  }

  function render(state) {
    const focused = document.activeElement;
    const focusedId = focused && body.contains(focused) ? focused.getAttribute("data-id") : null;
    body.textContent = "";
    part ??= app.tiled?.listPart(body, item, LIST_PAGE, render, rove);
    if (!sorted) sorted = dataset.records.slice().sort(order());
    const view = dataset.evaluate(state);
    const shown = sorted.filter(view.shown); // not a tiled layer's records (tiled.js): part lists those
    let budget = limit;
    const perLayer = new Map();
    for (const record of shown) {
      if (!perLayer.has(record.layer)) perLayer.set(record.layer, []);
      perLayer.get(record.layer).push(record);
    }
    for (const overlay of config.overlays) {
      const records = perLayer.get(overlay.name);
      if (!records) continue;
      const heading = el("h3", "gba-h3", `${overlay.label} (${records.length})`);
      heading.id = `gba-list-${overlay.name}`;
      body.appendChild(heading);
      const list = el("ul", "gba-items");
      list.setAttribute("aria-labelledby", heading.id);
      for (const record of records.slice(0, Math.max(budget, 0))) list.appendChild(item(record));
      budget -= records.length;
      if (list.children.length) body.appendChild(list);
    }
    const extra = part?.render(state) ?? 0; // the tiled layers' pages, after the others
    if (budget < 0) {
      const more = el(
        "button",
        "gba-small-button gba-list-more",
        i18n.t("list_more", { n: Math.min(-budget, LIST_PAGE) }),
      );
      more.type = "button";
      body.appendChild(more);
    }
    if (!shown.length && !extra) body.appendChild(el("p", "gba-hint", i18n.t("list_empty")));
    markSelected(state, false);
    const again = focusedId && body.querySelector(`button[data-id="${CSS.escape(focusedId)}"]`);
    const current = again || body.querySelector('button[aria-current="true"]') || body.querySelector("button[data-id]");
    if (current) rove(current);
    if (again) again.focus();
    const links = shown.filter((record) => names.isLink(record)).length;
    const status = byId("gba-list-status");
    const summary = i18n.t("shown_summary", { features: shown.length - links + extra, links });
    if (status.textContent !== summary) status.textContent = summary;
    byId("gba-list").setAttribute("data-count", String(shown.length + extra));
  }

  body.addEventListener("click", (event) => {
    if (event.target.closest(".gba-list-more")) {
      limit += LIST_PAGE;
      render(store.state);
      return;
    }
    const button = event.target.closest("button[data-id]");
    if (!button) return;
    rove(button);
    actions.select(button.getAttribute("data-id"), { move: "fly" });
  });
  body.addEventListener("keydown", (event) => {
    const current = event.target.closest("button[data-id]");
    if (!current) return;
    const items = [...body.querySelectorAll("button[data-id]")];
    const at = items.indexOf(current);
    let next = null;
    if (event.key === "ArrowDown" || event.key === "ArrowRight") next = items[Math.min(at + 1, items.length - 1)];
    else if (event.key === "ArrowUp" || event.key === "ArrowLeft") next = items[Math.max(at - 1, 0)];
    else if (event.key === "Home") next = items[0];
    else if (event.key === "End") next = items[items.length - 1];
    if (!next) return;
    event.preventDefault();
    rove(next);
    next.focus();
  });
  store.subscribe((state, previous, change) => {
    if (["filters", "year", "layers"].some((key) => state[key] !== previous[key])) render(state);
    else if (state.selected !== previous.selected) markSelected(state, change.reason === "selection");
  });

  return {
    render: () => render(store.state),
    /** Before the list first shows a big dataset, its order is worked out without freezing the page. */
    prepare() {
      if (dataset.records.length < SLICED_SORT_MIN) return null;
      return new Promise((resolve) => {
        sortInSlices(dataset.records, order(), (result) => {
          sorted = result;
          resolve();
        });
      });
    },
  };
}
