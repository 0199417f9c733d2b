/* The cross-border pairs panel: links shown on the map, counted per pair of jurisdictions.
 * It follows everything the map follows: filters, year, and the links layer's visibility.
 */

import { byId, el } from "./dom.js";
import { pairCounts } from "./pairs.js";

export function createPairsPanel({ config, store, dataset, i18n, names }) {
  const body = byId("gba-pairs-body");
  if (!body) return null;
  const jurisdiction = (config.queryables || []).find((q) => (q.properties || []).includes("from_jurisdiction"));
  const order = jurisdiction ? jurisdiction.values : [];
  const label = (value) => names.valueLabel(jurisdiction ? jurisdiction.name : "jurisdiction", value);

  function render(state) {
    const view = dataset.evaluate(state);
    const links = dataset
      .of(config.linkLayer)
      .filter(view.shown)
      .map((record) => record.p);
    const pairs = pairCounts(links, order);
    body.textContent = "";
    body.setAttribute("data-links", String(links.length));
    if (!pairs.length) {
      body.appendChild(el("p", "gba-hint", i18n.t("pairs_none")));
      return;
    }
    const most = pairs[0].count;
    const table = el("table", "gba-pairs");
    const head = el("thead");
    const headRow = el("tr");
    for (const key of ["pairs_pair", "pairs_count"])
      headRow.appendChild(el("th", null, i18n.t(key))).setAttribute("scope", "col");
    head.appendChild(headRow);
    table.appendChild(head);
    const rows = el("tbody");
    for (const pair of pairs) {
      const row = el("tr");
      row.setAttribute("data-pair", pair.key);
      const name = el("th", null, `${label(pair.a)} ↔ ${label(pair.b)}`);
      name.setAttribute("scope", "row");
      row.appendChild(name);
      const cell = el("td", "gba-pair-count");
      const bar = el("span", "gba-bar");
      bar.style.width = `${Math.max(4, Math.round((pair.count / most) * 100))}%`;
      bar.setAttribute("aria-hidden", "true");
      cell.appendChild(bar);
      cell.appendChild(el("span", "gba-bar-value", pair.count));
      row.appendChild(cell);
      rows.appendChild(row);
    }
    table.appendChild(rows);
    body.appendChild(table);
  }

  store.subscribe((state, previous) => {
    if (["filters", "year", "layers"].some((key) => state[key] !== previous[key])) render(state);
  });
  return { render: () => render(store.state) };
}
