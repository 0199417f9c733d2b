/* The selection panel: the partners of the selected feature (its links, the other ends), or
 * the two ends of the selected link.
 */

import { byId, el, icon, sourceList } from "./dom.js";

export function createPartners({ config, store, dataset, i18n, names, looks, popups, actions }) {
  const section = byId("gba-selection");
  const body = byId("gba-selection-body");
  if (!section || !body) return null;
  const heading = byId("gba-selection-heading");
  const collator = new Intl.Collator(config.urlLang);

  const partnerName = (entry) =>
    names.name(entry.link.p, entry.partnerId === entry.link.p.to_id ? "to_name" : "from_name");

  function metaLine(link) {
    const p = link.p;
    const line = el("div", "gba-partner-meta");
    line.appendChild(icon("link", looks.linkColour(p.link_type)));
    const year = typeof p.year === "number" ? String(p.year) : i18n.t("undated");
    line.appendChild(
      el(
        "span",
        null,
        [names.valueLabel("link_type", p.link_type), names.valueLabel("status", p.status), year].join(" · "),
      ),
    );
    return line;
  }

  function partnerButton(entry) {
    const button = el("button", "gba-link-button", partnerName(entry));
    button.type = "button";
    if (entry.partner) button.setAttribute("data-select", entry.partnerId);
    else button.disabled = true;
    return button;
  }

  function render(state) {
    const record = state.selected === null ? null : dataset.get(state.selected);
    body.textContent = "";
    if (!record) {
      section.hidden = true;
      section.removeAttribute("data-selected");
      return;
    }
    section.hidden = false;
    section.setAttribute("data-selected", record.id);
    const passes = dataset.evaluate(state).passes;
    const entries = dataset.partnersOf(record.id, passes);
    if (names.isLink(record)) {
      heading.textContent = i18n.t("selected_link");
      body.appendChild(popups.linkSummary(record));
      body.appendChild(metaLine(record));
      const ends = el("ul", "gba-partners");
      for (const entry of entries) {
        const item = el("li", "gba-partner");
        item.setAttribute("data-partner-id", entry.partnerId);
        item.appendChild(partnerButton(entry));
        ends.appendChild(item);
      }
      body.appendChild(ends);
      body.appendChild(el("h3", "gba-h3", i18n.t("sources")));
      body.appendChild(sourceList(record.p.sources));
      return;
    }
    heading.textContent = i18n.t("partners_of", { name: names.name(record.p) });
    if (!entries.length) {
      body.appendChild(el("p", "gba-hint", i18n.t("no_partners")));
      return;
    }
    entries.sort((a, b) => collator.compare(partnerName(a), partnerName(b)) || (a.link.id < b.link.id ? -1 : 1));
    const list = el("ul", "gba-partners");
    for (const entry of entries) {
      const item = el("li", "gba-partner");
      item.setAttribute("data-link-id", entry.link.id);
      item.setAttribute("data-partner-id", entry.partnerId);
      const head = el("div", "gba-partner-head");
      if (entry.link.p.directed) head.appendChild(el("span", "gba-partner-direction", entry.outgoing ? "→ " : "← "));
      head.appendChild(partnerButton(entry));
      item.appendChild(head);
      item.appendChild(metaLine(entry.link));
      item.appendChild(sourceList(entry.link.p.sources));
      list.appendChild(item);
    }
    body.appendChild(list);
  }

  byId("gba-clear-selection").addEventListener("click", () => actions.clearSelection());
  body.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-select]");
    if (button) actions.select(button.getAttribute("data-select"), { reveal: true, move: "fly" });
  });
  store.subscribe((state, previous) => {
    const changed = ["selected", "filters", "year", "layers"].some((key) => state[key] !== previous[key]);
    if (changed) render(state);
  });
  return { render: () => render(store.state) };
}
