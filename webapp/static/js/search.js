/* The search box: a combobox over /api/search (a static export's search file), with "10 of 50" and a button for more. */

import { byId, el, icon } from "./dom.js";

const SEARCH_DELAY = 200; // ms of quiet typing before a search request
const FIRST_LIMIT = 10;
const LIMIT_STEP = 20;
const MAX_LIMIT = 50; // the API's own maximum

export function createSearch({ config, store, dataset, i18n, names, looks, actions, announce }) {
  const input = byId("gba-search-input");
  const list = byId("gba-search-results");
  const status = byId("gba-search-status");
  if (!input || !list) return null;
  const overlays = new Map(config.overlays.map((overlay) => [overlay.name, overlay]));
  const more = el("button", "gba-small-button gba-search-more", i18n.t("search_more"));
  more.type = "button";
  more.hidden = true;
  more.setAttribute("data-search-more", "");
  // The dropdown holds the options and, under them, "10 of 50" and the button for more,
  // floating over the panel (the status line below says the same to screen readers).
  const drop = el("div", "gba-search-drop");
  drop.hidden = true;
  const foot = el("div", "gba-search-foot");
  const countLine = el("span", "gba-search-count");
  countLine.setAttribute("aria-hidden", "true");
  foot.append(countLine, more);
  list.before(drop);
  drop.append(list, foot);
  let results = [];
  let active = -1;
  let limit = FIRST_LIMIT;
  let total = 0;
  let timer = null;
  let abort = null;

  const isLink = (result) => result.layer === config.linkLayer;
  const resultName = (result) =>
    isLink(result) ? `${names.name(result, "from_name")} ↔ ${names.name(result, "to_name")}` : names.name(result);

  function resultIcon(result) {
    if (isLink(result)) return icon("link", looks.linkColour(result.link_type));
    const overlay = overlays.get(result.layer);
    return icon(overlay ? overlay.kind : "point", overlay ? overlay.colour : "#555555");
  }

  function open() {
    list.hidden = false;
    drop.hidden = false;
    more.hidden = !(total > results.length && limit < MAX_LIMIT);
    input.setAttribute("aria-expanded", "true");
  }

  function setActive(index) {
    active = index;
    for (const [i, option] of [...list.children].entries()) option.setAttribute("aria-selected", String(i === index));
    if (index >= 0 && list.children[index]) {
      input.setAttribute("aria-activedescendant", list.children[index].id);
      list.children[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function close() {
    list.hidden = true;
    drop.hidden = true;
    more.hidden = true;
    input.setAttribute("aria-expanded", "false");
    setActive(-1);
  }

  function clear() {
    results = [];
    total = 0;
    list.textContent = "";
    status.textContent = "";
    close();
  }

  function show(found, matches, ignored) {
    const passes = dataset.evaluate(store.state).passes;
    results = found;
    total = Math.max(matches, found.length);
    active = -1;
    list.textContent = "";
    found.forEach((result, i) => {
      const option = el("li", "gba-option");
      option.id = `gba-search-option-${i}`;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.setAttribute("data-index", String(i));
      option.setAttribute("data-id", result.id);
      option.appendChild(resultIcon(result));
      const words = el("span", "gba-option-text");
      words.appendChild(el("span", "gba-option-name", resultName(result)));
      const meta = isLink(result)
        ? [names.valueLabel("link_type", result.link_type)]
        : [names.valueLabel("category", result.category), names.valueLabel("jurisdiction", result.jurisdiction)];
      meta.push(names.valueLabel("status", result.status));
      if (dataset.get(result.id) && !passes.has(result.id)) meta.push(i18n.t("search_hidden"));
      words.appendChild(el("span", "gba-option-meta", meta.filter(Boolean).join(" · ")));
      option.appendChild(words);
      list.appendChild(option);
    });
    status.textContent = found.length
      ? i18n.t("search_count_of", { shown: found.length, total })
      : i18n.t("search_none");
    // The server searches only the first few different words and names the rest.
    if (ignored.length) status.textContent += ` · ${i18n.t("search_ignored", { words: ignored.join(" ") })}`;
    countLine.textContent = found.length ? status.textContent : "";
    if (found.length) open();
    else close();
  }

  // A static export has no /api/search: its search file is fetched once and searched here.
  let matcher = null;
  function searchFile(query) {
    matcher ??= Promise.all([
      import("./static-search.js"),
      fetch(config.urls.searchData, { credentials: "same-origin" }).then((response) => {
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        return response.json();
      }),
    ]).then(([module, data]) => module.createMatcher(data));
    matcher.catch(() => {
      matcher = null; // tried again on the next search
    });
    return matcher.then((found) => found.find(query.slice(0, 200), limit));
  }

  function searchServer(query) {
    abort = new AbortController();
    const url = `${config.urls.search}?q=${encodeURIComponent(query.slice(0, 200))}&limit=${limit}`;
    return fetch(url, { credentials: "same-origin", signal: abort.signal }).then((response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return response.json();
    });
  }

  function search(value) {
    const query = value.trim();
    if (abort) abort.abort();
    if (!query) return clear();
    (config.urls.searchData ? searchFile(query) : searchServer(query))
      .then((body) => {
        if (input.value.trim() !== query) return;
        const found = body.results || [];
        // A server without ``total`` reports what it sent: its count.
        const ignored = Array.isArray(body.ignored) ? body.ignored : [];
        show(found, typeof body.total === "number" ? body.total : (body.count ?? found.length), ignored);
      })
      .catch((error) => {
        if (error?.name === "AbortError") return;
        clear();
        status.textContent = i18n.t("search_error");
      });
  }

  function choose(result) {
    if (!result) return;
    close();
    // A promise when the record is on a tiled layer and fetched first.
    Promise.resolve(actions.select(result.id, { reveal: true, move: "fly", layer: result.layer })).then((shown) => {
      if (!shown) announce(`${i18n.t("load_error")}: ${resultName(result)}`);
    });
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    limit = FIRST_LIMIT;
    timer = setTimeout(() => search(input.value), SEARCH_DELAY);
  });
  input.addEventListener("keydown", (event) => {
    const isOpen = !list.hidden;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!results.length) return;
      event.preventDefault();
      if (!isOpen) open();
      let next = active + (event.key === "ArrowDown" ? 1 : -1);
      if (next < 0) next = results.length - 1;
      if (next >= results.length) next = 0;
      setActive(next);
    } else if (event.key === "Enter") {
      if (!isOpen || !results.length) return;
      event.preventDefault();
      choose(results[Math.max(active, 0)]);
    } else if (event.key === "Escape") {
      event.preventDefault();
      if (isOpen) close();
      else {
        input.value = "";
        clear();
      }
    }
  });
  input.addEventListener("blur", () => {
    // Later than a click on an option, which keeps the list until it has been chosen.
    setTimeout(() => {
      if (document.activeElement !== input && document.activeElement !== more) close();
    }, 150);
  });
  input.addEventListener("focus", () => {
    if (results.length) open();
  });
  for (const target of [list, more]) {
    target.addEventListener("mousedown", (event) => event.preventDefault()); // keep the focus in the box
  }
  list.addEventListener("click", (event) => {
    const option = event.target.closest("[role=option]");
    if (option) choose(results[Number(option.getAttribute("data-index"))]);
  });
  more.addEventListener("click", () => {
    limit = Math.min(limit + LIMIT_STEP, MAX_LIMIT);
    search(input.value);
    input.focus();
  });
  return { search };
}
