/* The filter panel, built from the server's table of queryables (config.queryables):
 * an enum is a fieldset of checkboxes (grouped by layer when the table says so), a
 * boolean a radio group any / yes / no, and the year is the timeline (timeline.js).
 */

import { byId, el, icon } from "./dom.js";

export function createFilters({ config, store, dataset, i18n, names, looks }) {
  const body = byId("gba-filter-body");
  if (!body) return null;
  // Every queryable the table offers in the panel (the others still work from the URL).
  const queryables = (config.queryables || []).filter(
    (q) => (q.kind === "enum" || q.kind === "boolean") && q.panel !== false,
  );
  const overlays = new Map(config.overlays.map((overlay) => [overlay.name, overlay]));

  /** The table's values the data carries (or the URL chose), then values only the data knows (disabled). */
  function shownValues(queryable) {
    const present = new Set();
    for (const property of queryable.properties || [queryable.name]) {
      for (const value of dataset.presentValues(null, property)) present.add(value);
    }
    const chosen = new Set(store.state.filters.get(queryable.name) || []);
    const known = queryable.values || [];
    const values = known.filter((value) => present.has(value) || chosen.has(value));
    const knownSet = new Set(known);
    const extras = [...present].filter((value) => typeof value === "string" && !knownSet.has(value)).sort();
    if (!values.length && !extras.length) return known.slice();
    return [...values, ...extras];
  }

  function swatch(queryable, value) {
    const linksOnly = queryable.layers?.length === 1 && queryable.layers[0] === config.linkLayer;
    return linksOnly && looks.hasLinkColour(value) ? icon("link", looks.linkColour(value)) : null;
  }

  /** One labelled choice (a checkbox of an enum, a radio of a boolean) as a list item. */
  function choice(type, name, value, text, mark) {
    const item = el("li");
    const label = el("label", "gba-check");
    const input = el("input");
    input.type = type;
    input.name = name;
    input.value = value;
    label.appendChild(input);
    if (mark) label.appendChild(mark);
    label.appendChild(el("span", null, text));
    item.appendChild(label);
    return { item, input };
  }

  function checkbox(queryable, value, mark) {
    const { item, input } = choice("checkbox", queryable.name, value, names.valueLabel(queryable.name, value), mark);
    // A value only the data knows is shown but cannot be chosen: the URL grammar (and the
    // download) would refuse it.
    if (!(queryable.values || []).includes(value)) input.disabled = true;
    return item;
  }

  function fieldset(queryable) {
    const set = el("fieldset", "gba-fieldset");
    set.setAttribute("data-filter", queryable.name);
    set.appendChild(el("legend", null, queryable.label || i18n.t(`queryable.${queryable.name}`)));
    if (queryable.description) set.title = queryable.description;
    return set;
  }

  function groupOf(queryable, value) {
    for (const [layer, values] of queryable.groups) if (values.includes(value)) return layer;
    const carrier = dataset.records.find((record) =>
      (queryable.properties || []).some((property) => record.p[property] === value),
    );
    return carrier ? carrier.layer : null;
  }

  function enumFieldset(queryable) {
    const set = fieldset(queryable);
    const values = shownValues(queryable);
    if (!queryable.groups) {
      const list = el("ul", "gba-checks");
      for (const value of values) list.appendChild(checkbox(queryable, value, swatch(queryable, value)));
      set.appendChild(list);
      return set;
    }
    const byLayer = new Map();
    for (const value of values) {
      const layer = groupOf(queryable, value);
      if (!byLayer.has(layer)) byLayer.set(layer, []);
      byLayer.get(layer).push(value);
    }
    for (const [layer, members] of byLayer) {
      const overlay = overlays.get(layer);
      const label = overlay ? overlay.label : i18n.label("layer", layer);
      const box = el("div", "gba-check-group");
      box.setAttribute("role", "group");
      box.setAttribute("aria-label", label);
      box.appendChild(el("div", "gba-check-group-label", label));
      const list = el("ul", "gba-checks");
      for (const value of members) {
        list.appendChild(checkbox(queryable, value, overlay ? icon(overlay.kind, overlay.colour) : null));
      }
      box.appendChild(list);
      set.appendChild(box);
    }
    return set;
  }

  function booleanFieldset(queryable) {
    const set = fieldset(queryable);
    set.setAttribute("role", "radiogroup");
    const list = el("ul", "gba-checks gba-radios");
    for (const [value, key] of [
      ["", "any"],
      ["true", "filter_yes"],
      ["false", "filter_no"],
    ]) {
      list.appendChild(choice("radio", queryable.name, value, i18n.t(key)).item);
    }
    set.appendChild(list);
    return set;
  }

  function read(queryable) {
    if (queryable.kind === "boolean") {
      const radio = body.querySelector(`input[name="${CSS.escape(queryable.name)}"]:checked`);
      return !radio || radio.value === "" ? null : radio.value === "true";
    }
    return [...body.querySelectorAll(`input[name="${CSS.escape(queryable.name)}"]:checked`)].map((box) => box.value);
  }

  function sync(state) {
    let active = 0;
    for (const queryable of queryables) {
      const wanted = state.filters.get(queryable.name);
      for (const input of body.querySelectorAll(`input[name="${CSS.escape(queryable.name)}"]`)) {
        if (queryable.kind === "boolean") {
          input.checked = input.value === (wanted === undefined ? "" : String(wanted));
        } else {
          input.checked = Array.isArray(wanted) && wanted.includes(input.value);
          if (input.checked) active += 1;
        }
      }
      if (queryable.kind === "boolean" && wanted !== undefined) active += 1;
    }
    byId("gba-filter-summary").textContent = active ? `(${active})` : "";
    byId("gba-clear-filters").disabled = active === 0;
  }

  function build() {
    body.textContent = "";
    for (const queryable of queryables) {
      body.appendChild(queryable.kind === "boolean" ? booleanFieldset(queryable) : enumFieldset(queryable));
    }
    sync(store.state);
    if (byId("gba-filter-summary").textContent) byId("gba-filters").open = true; // the URL chose some
  }

  body.addEventListener("change", (event) => {
    const queryable = queryables.find((q) => q.name === event.target.name);
    if (queryable) store.setFilter(queryable.name, read(queryable));
  });
  byId("gba-clear-filters").addEventListener("click", () => store.setFilters(new Map()));
  store.subscribe((state, previous) => {
    if (state.filters !== previous.filters) sync(state);
  });
  return { build };
}
