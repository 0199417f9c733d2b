/* Popup and tooltip contents of a record: DOM built from text, never from HTML. */

import { addRow, el, sourceList } from "./dom.js";

export function createPopups({ config, i18n, names, looks }) {
  const lang = config.lang;
  const knownPrecision = (p) => i18n.has(`precision.${p.coord_precision}`);

  function precision(root, record) {
    const p = record.p;
    const approximate = looks.isApproximate(p, knownPrecision(p));
    const line = el("p", `gba-precision${approximate ? " gba-approximate" : ""}`);
    line.appendChild(el("strong", null, `${i18n.t("position")}: `));
    line.appendChild(el("span", null, i18n.label("precision", p.coord_precision)));
    root.appendChild(line);
    const note = names.placementNote(record);
    if (note) root.appendChild(el("p", "gba-coord-source", note));
  }

  function sources(root, list) {
    if (!list?.length) return;
    root.appendChild(el("h4", null, i18n.t("sources")));
    root.appendChild(sourceList(list));
  }

  function figures(root, list) {
    if (!list?.length) return;
    root.appendChild(el("h4", null, i18n.t("figures")));
    const facts = el("dl", "gba-facts gba-figures");
    for (const figure of list) addRow(facts, names.figureLabel(figure), names.figureValue(figure));
    root.appendChild(facts);
  }

  function people(root, list) {
    if (!list?.length) return;
    root.appendChild(el("h4", null, i18n.t("people")));
    const items = el("ul", "gba-people");
    for (const person of list) {
      const role = names.name(person, "role");
      items.appendChild(el("li", null, names.name(person) + (role ? ` — ${role}` : "")));
    }
    root.appendChild(items);
  }

  /** "Type" over "A → B" (or ↔): a link's tooltip, and the head of its popup and selection. */
  function linkSummary(record) {
    const p = record.p;
    const root = el("div", "gba-link-summary");
    root.appendChild(el("strong", null, names.valueLabel("link_type", p.link_type)));
    const ends = el("div", "gba-link-ends");
    ends.appendChild(el("span", null, names.name(p, "from_name")));
    ends.appendChild(el("span", "gba-link-arrow", p.directed ? " → " : " ↔ "));
    ends.appendChild(el("span", null, names.name(p, "to_name")));
    root.appendChild(ends);
    return root;
  }

  function featurePopup(record) {
    const p = record.p;
    const root = el("div", "gba-popup");
    root.setAttribute("data-feature-id", record.id);
    const title = names.name(p);
    root.appendChild(el("h3", "gba-name", title));
    const shown = new Set([title]);
    for (const other of config.langs || []) {
      const form = p[`name_${other}`];
      if (other !== lang && form && !shown.has(form)) {
        shown.add(form);
        root.appendChild(el("div", "gba-other-name", form));
      }
    }
    const facts = el("dl", "gba-facts");
    addRow(facts, i18n.t("category"), names.valueLabel("category", p.category));
    addRow(facts, i18n.t("place"), names.place(p));
    addRow(facts, i18n.t("status"), names.valueLabel("status", p.status));
    addRow(facts, i18n.t("year"), names.years(p));
    root.appendChild(facts);
    figures(root, p.figures);
    root.appendChild(el("p", "gba-description", names.name(p, "description")));
    people(root, p.people);
    sources(root, p.sources);
    precision(root, record);
    return root;
  }

  function linkPopup(record) {
    const p = record.p;
    const root = el("div", "gba-popup gba-popup-link");
    root.setAttribute("data-feature-id", record.id);
    root.appendChild(linkSummary(record));
    const facts = el("dl", "gba-facts");
    addRow(facts, i18n.t("status"), names.valueLabel("status", p.status));
    addRow(facts, i18n.t("year"), names.years(p));
    addRow(
      facts,
      i18n.t("length"),
      typeof p.length_km === "number" ? `${p.length_km} ${i18n.label("unit", "km")}` : null,
    );
    addRow(facts, i18n.t("cross_border"), p.cross_border ? i18n.t("yes") : i18n.t("no"));
    root.appendChild(facts);
    root.appendChild(el("p", "gba-description", names.name(p, "description")));
    sources(root, p.sources);
    precision(root, record);
    return root;
  }

  return {
    linkSummary,
    popup: (record) => (record.kind === "link" ? linkPopup(record) : featurePopup(record)),
    tooltip: (record) => (record.kind === "link" ? linkSummary(record) : el("span", null, names.name(record.p))),
    knownPrecision,
  };
}
