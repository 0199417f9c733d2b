/* GBA Cooperation Map: the explore panel beside the map.
 *
 * Search (/api/search), filters, the "as of year" timeline, the partners of the
 * selected feature, cross-border links per pair of jurisdictions, and an
 * accessible list of what is shown.  The panel only reads and sets the map's
 * state (gba-map.js); the map tells it when something changed.  Data strings go
 * through textContent and setAttribute only.
 */
(function () {
  "use strict";

  var LIST_PAGE = 300; // list items rendered at a time: a 100k layer must not build 100k buttons
  var SEARCH_DELAY = 200; // ms of quiet typing before a search request
  var PLAY_STEP = 900; // ms per year when the timeline plays

  var el;
  var fill;

  function byId(id) {
    return document.getElementById(id);
  }

  function icon(kind, colour) {
    var mark = el("span", "gba-icon gba-icon-" + kind);
    mark.style.setProperty("--gba-colour", colour);
    mark.setAttribute("aria-hidden", "true");
    return mark;
  }

  function Explore(core) {
    el = window.GBAMap.el;
    fill = window.GBAMap.fill;
    this.core = core;
    this.config = core.config;
    this.text = core.text;
    this.panel = byId("gba-explore");
    if (!this.panel) return;
    this.listLimit = LIST_PAGE;
    this.results = [];
    this.active = -1;
    this.addToggle();
    this.wireSearch();
    this.wireTimeline();
    this.wireSelection();
    this.wireList();
    var self = this;
    core.onChange(function (kind, detail) {
      self.update(kind, detail);
    });
  }

  // ---- the panel opens and closes (closed by default on narrow screens and small embeds) ----
  Explore.prototype.addToggle = function () {
    var self = this;
    var body = document.body;
    var wide = window.innerWidth >= (this.config.embed ? 900 : 760);
    if (!wide) body.classList.add("gba-explore-closed");
    var Toggle = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var button = el("button", "gba-explore-toggle", "☰");
        button.type = "button";
        button.id = "gba-explore-toggle";
        button.title = self.text.explore_toggle;
        button.setAttribute("aria-label", self.text.explore_toggle);
        button.setAttribute("aria-controls", "gba-explore");
        button.setAttribute("aria-expanded", String(!body.classList.contains("gba-explore-closed")));
        L.DomEvent.disableClickPropagation(button);
        button.addEventListener("click", function () {
          var closed = body.classList.toggle("gba-explore-closed");
          button.setAttribute("aria-expanded", String(!closed));
          self.core.map.invalidateSize();
          if (!closed) byId("gba-search-input").focus();
        });
        return button;
      },
    });
    new Toggle().addTo(this.core.map);
  };

  // ---- search ----
  Explore.prototype.wireSearch = function () {
    var self = this;
    var input = byId("gba-search-input");
    var list = byId("gba-search-results");
    input.addEventListener("input", function () {
      clearTimeout(self.searchTimer);
      self.searchTimer = setTimeout(function () {
        self.search(input.value);
      }, SEARCH_DELAY);
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!self.results.length) return;
        event.preventDefault();
        if (!open) self.openResults();
        var step = event.key === "ArrowDown" ? 1 : -1;
        var next = self.active + step;
        if (next < 0) next = self.results.length - 1;
        if (next >= self.results.length) next = 0;
        self.setActive(next);
      } else if (event.key === "Enter") {
        if (!open || !self.results.length) return;
        event.preventDefault();
        self.choose(self.results[self.active >= 0 ? self.active : 0]);
      } else if (event.key === "Escape") {
        event.preventDefault();
        if (open) self.closeResults();
        else {
          input.value = "";
          self.clearResults();
        }
      }
    });
    input.addEventListener("blur", function () {
      // Later than a click on an option, which keeps the list until it has been chosen.
      setTimeout(function () {
        if (document.activeElement !== input) self.closeResults();
      }, 150);
    });
    input.addEventListener("focus", function () {
      if (self.results.length) self.openResults();
    });
    list.addEventListener("mousedown", function (event) {
      event.preventDefault(); // keep the focus in the box
    });
    list.addEventListener("click", function (event) {
      var option = event.target.closest("[role=option]");
      if (option) self.choose(self.results[Number(option.getAttribute("data-index"))]);
    });
  };

  Explore.prototype.search = function (value) {
    var self = this;
    var query = value.trim();
    if (this.searchAbort) this.searchAbort.abort();
    if (!query) return this.clearResults();
    var controller = window.AbortController ? new AbortController() : null;
    this.searchAbort = controller;
    var url = this.config.urls.search + "?q=" + encodeURIComponent(query.slice(0, 200)) + "&limit=10";
    fetch(url, { credentials: "same-origin", signal: controller ? controller.signal : undefined })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (body) {
        if (byId("gba-search-input").value.trim() !== query) return;
        self.showResults(body.results || []);
      })
      .catch(function (error) {
        if (error && error.name === "AbortError") return;
        self.clearResults();
        byId("gba-search-status").textContent = self.text.search_error;
      });
  };

  Explore.prototype.resultName = function (result) {
    var core = this.core;
    if (result.layer === this.config.linkLayer) {
      return core.name(result, "from_name") + " ↔ " + core.name(result, "to_name");
    }
    return core.name(result);
  };

  Explore.prototype.resultIcon = function (result) {
    var overlay = this.core.overlayByName[result.layer];
    if (result.layer === this.config.linkLayer) return icon("link", this.core.linkType(result).colour);
    return icon(overlay ? overlay.kind : "point", overlay ? overlay.colour : "#555555");
  };

  Explore.prototype.showResults = function (results) {
    var self = this;
    var core = this.core;
    var list = byId("gba-search-results");
    this.results = results;
    this.active = -1;
    list.textContent = "";
    results.forEach(function (result, i) {
      var option = el("li", "gba-option");
      option.id = "gba-search-option-" + i;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.setAttribute("data-index", String(i));
      option.setAttribute("data-id", result.id);
      option.appendChild(self.resultIcon(result));
      var words = el("span", "gba-option-text");
      words.appendChild(el("span", "gba-option-name", self.resultName(result)));
      var meta = [];
      if (result.layer === self.config.linkLayer) meta.push(core.linkType(result).label);
      else meta.push(core.categoryLabel(result.category), core.jurisdictionLabel(result.jurisdiction));
      meta.push(core.statusLabel(result.status));
      var record = core.index[result.id];
      if (record && !record.passes) meta.push(self.text.search_hidden);
      words.appendChild(el("span", "gba-option-meta", meta.filter(Boolean).join(" · ")));
      option.appendChild(words);
      list.appendChild(option);
    });
    byId("gba-search-status").textContent = results.length
      ? fill(this.text.search_count, { n: results.length })
      : this.text.search_none;
    if (results.length) this.openResults();
    else this.closeResults();
  };

  Explore.prototype.openResults = function () {
    byId("gba-search-results").hidden = false;
    byId("gba-search-input").setAttribute("aria-expanded", "true");
  };

  Explore.prototype.closeResults = function () {
    byId("gba-search-results").hidden = true;
    var input = byId("gba-search-input");
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    this.setActive(-1);
  };

  Explore.prototype.clearResults = function () {
    this.results = [];
    byId("gba-search-results").textContent = "";
    byId("gba-search-status").textContent = "";
    this.closeResults();
  };

  Explore.prototype.setActive = function (index) {
    var list = byId("gba-search-results");
    var input = byId("gba-search-input");
    this.active = index;
    Array.prototype.forEach.call(list.children, function (option, i) {
      option.setAttribute("aria-selected", String(i === index));
    });
    if (index >= 0 && list.children[index]) {
      input.setAttribute("aria-activedescendant", list.children[index].id);
      list.children[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  };

  Explore.prototype.choose = function (result) {
    if (!result) return;
    this.closeResults();
    var shown = this.core.select(result.id, { reveal: true, move: "fly" });
    if (!shown) this.announce(this.text.load_error + ": " + this.resultName(result));
  };

  // ---- filters ----
  Explore.prototype.filterOptions = function () {
    // The values present in the data (plus any the URL chose), in a stable order.
    var core = this.core;
    var config = this.config;
    var filters = core.state.filters;
    var seen = { jurisdiction: {}, category: {}, link_type: {} };
    core.records.forEach(function (record) {
      core.recordJurisdictions(record).forEach(function (j) {
        if (j) seen.jurisdiction[j] = true;
      });
      if (record.p.category) seen.category[record.p.category] = record.overlay;
      if (record.p.link_type) seen.link_type[record.p.link_type] = true;
    });
    filters.jurisdiction.forEach(function (j) {
      seen.jurisdiction[j] = true;
    });
    var order = config.jurisdictionOrder;
    var jurisdictions = Object.keys(seen.jurisdiction).sort(function (a, b) {
      var ra = order.indexOf(a) < 0 ? order.length : order.indexOf(a);
      var rb = order.indexOf(b) < 0 ? order.length : order.indexOf(b);
      return ra - rb || (a < b ? -1 : 1);
    });
    var categories = [];
    config.overlays.forEach(function (overlay) {
      var keys = (config.layerCategories[overlay.name] || []).filter(function (key) {
        return seen.category[key] || filters.category.indexOf(key) >= 0;
      });
      Object.keys(seen.category).forEach(function (key) {
        if (seen.category[key] === overlay.name && keys.indexOf(key) < 0) keys.push(key);
      });
      if (keys.length) categories.push({ overlay: overlay, keys: keys });
    });
    var linkTypes = Object.keys(config.linkTypes).filter(function (key) {
      return seen.link_type[key] || filters.link_type.indexOf(key) >= 0;
    });
    return { jurisdictions: jurisdictions, categories: categories, linkTypes: linkTypes };
  };

  Explore.prototype.checkbox = function (name, value, label, swatch) {
    var item = el("li");
    var wrap = el("label", "gba-check");
    var box = el("input");
    box.type = "checkbox";
    box.name = name;
    box.value = value;
    wrap.appendChild(box);
    if (swatch) wrap.appendChild(swatch);
    wrap.appendChild(el("span", null, label));
    item.appendChild(wrap);
    return item;
  };

  Explore.prototype.fieldset = function (legend, name) {
    var set = el("fieldset", "gba-fieldset");
    set.setAttribute("data-filter", name);
    set.appendChild(el("legend", null, legend));
    return set;
  };

  Explore.prototype.buildFilters = function () {
    var self = this;
    var core = this.core;
    var text = this.text;
    var options = this.filterOptions();
    var body = byId("gba-filter-body");
    body.textContent = "";

    var places = this.fieldset(text.jurisdiction, "jurisdiction");
    var placeList = el("ul", "gba-checks");
    options.jurisdictions.forEach(function (j) {
      placeList.appendChild(self.checkbox("jurisdiction", j, core.jurisdictionLabel(j)));
    });
    places.appendChild(placeList);
    body.appendChild(places);

    var categories = this.fieldset(text.category, "category");
    options.categories.forEach(function (group) {
      var box = el("div", "gba-check-group");
      box.setAttribute("role", "group");
      box.setAttribute("aria-label", group.overlay.label);
      box.appendChild(el("div", "gba-check-group-label", group.overlay.label));
      var list = el("ul", "gba-checks");
      group.keys.forEach(function (key) {
        list.appendChild(self.checkbox("category", key, core.categoryLabel(key), icon(group.overlay.kind, group.overlay.colour)));
      });
      box.appendChild(list);
      categories.appendChild(box);
    });
    body.appendChild(categories);

    var statuses = this.fieldset(text.status, "status");
    var statusList = el("ul", "gba-checks");
    this.config.statusOrder.forEach(function (key) {
      statusList.appendChild(self.checkbox("status", key, core.statusLabel(key)));
    });
    statuses.appendChild(statusList);
    body.appendChild(statuses);

    var types = this.fieldset(text.link_type, "link_type");
    var typeList = el("ul", "gba-checks");
    options.linkTypes.forEach(function (key) {
      var type = core.linkType({ link_type: key });
      typeList.appendChild(self.checkbox("link_type", key, type.label, icon("link", type.colour)));
    });
    var crossItem = el("li", "gba-check-cross");
    var crossLabel = el("label", "gba-check");
    var cross = el("input");
    cross.type = "checkbox";
    cross.id = "gba-cross-border";
    cross.name = "cross_border";
    cross.value = "true";
    crossLabel.appendChild(cross);
    crossLabel.appendChild(el("span", null, text.cross_border_only));
    crossItem.appendChild(crossLabel);
    typeList.appendChild(crossItem);
    types.appendChild(typeList);
    body.appendChild(types);

    body.addEventListener("change", function (event) {
      // Unticking "cross-border only" means any; the other boxes keep a cross_border=false from a URL.
      var cross = event.target.id === "gba-cross-border" ? (event.target.checked ? true : null) : undefined;
      core.setFilters(self.readFilters(cross));
    });
    byId("gba-clear-filters").addEventListener("click", function () {
      core.setFilters(window.GBAMap.emptyFilters());
    });
    this.syncFilters();
  };

  Explore.prototype.readFilters = function (crossBorder) {
    var filters = window.GBAMap.emptyFilters();
    var body = byId("gba-filter-body");
    window.GBAMap.FILTER_KEYS.forEach(function (key) {
      Array.prototype.forEach.call(body.querySelectorAll('input[name="' + key + '"]:checked'), function (box) {
        filters[key].push(box.value);
      });
    });
    filters.cross_border = crossBorder === undefined ? this.core.state.filters.cross_border : crossBorder;
    return filters;
  };

  Explore.prototype.syncFilters = function () {
    var filters = this.core.state.filters;
    var body = byId("gba-filter-body");
    if (!body) return;
    var active = 0;
    window.GBAMap.FILTER_KEYS.forEach(function (key) {
      Array.prototype.forEach.call(body.querySelectorAll('input[name="' + key + '"]'), function (box) {
        box.checked = filters[key].indexOf(box.value) >= 0;
        if (box.checked) active += 1;
      });
    });
    var cross = byId("gba-cross-border");
    if (cross) cross.checked = filters.cross_border === true;
    if (filters.cross_border !== null) active += 1;
    byId("gba-filter-summary").textContent = active ? "(" + active + ")" : "";
    byId("gba-clear-filters").disabled = active === 0;
  };

  // ---- timeline ----
  Explore.prototype.wireTimeline = function () {
    var self = this;
    var timeline = this.config.timeline;
    var section = byId("gba-timeline");
    if (!timeline || timeline.first >= timeline.last) return;
    section.hidden = false;
    var input = byId("gba-year");
    input.min = String(timeline.first);
    input.max = String(timeline.last);
    input.value = String(this.core.timelineYear());
    input.addEventListener("input", function () {
      // Coalesced to one update a frame, however fast the slider moves.
      if (self.yearFrame) return;
      self.yearFrame = requestAnimationFrame(function () {
        self.yearFrame = null;
        self.core.setYear(Number(input.value));
      });
    });
    byId("gba-play").addEventListener("click", function () {
      if (self.playTimer) self.stopPlaying();
      else self.play();
    });
    this.syncTimeline();
  };

  Explore.prototype.play = function () {
    var self = this;
    var timeline = this.config.timeline;
    var button = byId("gba-play");
    if (this.core.timelineYear() >= timeline.last) this.core.setYear(timeline.first);
    button.setAttribute("aria-pressed", "true");
    button.textContent = this.text.pause;
    this.playTimer = setInterval(function () {
      var next = self.core.timelineYear() + 1;
      self.core.setYear(next);
      if (next >= timeline.last) self.stopPlaying();
    }, PLAY_STEP);
  };

  Explore.prototype.stopPlaying = function () {
    clearInterval(this.playTimer);
    this.playTimer = null;
    var button = byId("gba-play");
    button.setAttribute("aria-pressed", "false");
    button.textContent = this.text.play;
  };

  Explore.prototype.syncTimeline = function () {
    var timeline = this.config.timeline;
    if (!timeline || timeline.first >= timeline.last) return;
    var year = this.core.timelineYear();
    var label = this.core.state.year === null ? year + " (" + this.text.latest + ")" : String(year);
    var input = byId("gba-year");
    if (Number(input.value) !== year) input.value = String(year);
    input.setAttribute("aria-valuetext", label);
    byId("gba-year-output").textContent = label;
    var undated = this.core.records.filter(function (record) {
      return typeof record.p.year !== "number";
    }).length;
    byId("gba-timeline-note").textContent = fill(this.text.timeline_note, { n: undated });
  };

  // ---- the selection: partners of a feature, or the ends of a link ----
  Explore.prototype.wireSelection = function () {
    var self = this;
    byId("gba-clear-selection").addEventListener("click", function () {
      self.core.clearSelection();
    });
    byId("gba-selection-body").addEventListener("click", function (event) {
      var button = event.target.closest("button[data-select]");
      if (button) self.core.select(button.getAttribute("data-select"), { reveal: true, move: "fly" });
    });
  };

  Explore.prototype.metaLine = function (link) {
    var core = this.core;
    var p = link.p;
    var type = core.linkType(p);
    var line = el("div", "gba-partner-meta");
    line.appendChild(icon("link", type.colour));
    var year = typeof p.year === "number" ? String(p.year) : this.text.undated;
    line.appendChild(el("span", null, [type.label, core.statusLabel(p.status), year].join(" · ")));
    return line;
  };

  Explore.prototype.sources = function (p) {
    var core = this.core;
    var list = el("ol", "gba-sources");
    (p.sources || []).forEach(function (source) {
      list.appendChild(core.sourceItem(source));
    });
    return list;
  };

  Explore.prototype.renderSelection = function () {
    var self = this;
    var core = this.core;
    var section = byId("gba-selection");
    var body = byId("gba-selection-body");
    var record = core.index[core.state.selected];
    if (!record) {
      section.hidden = true;
      body.textContent = "";
      return;
    }
    section.hidden = false;
    body.textContent = "";
    var heading = byId("gba-selection-heading");
    section.setAttribute("data-selected", record.id);
    if (record.overlay === this.config.linkLayer) {
      heading.textContent = this.text.selected_link;
      var summary = core.linkSummary(record.p, core.linkType(record.p));
      body.appendChild(summary);
      body.appendChild(this.metaLine(record));
      var ends = el("ul", "gba-partners");
      core.partnersOf(record.id).forEach(function (entry) {
        var item = el("li", "gba-partner");
        item.setAttribute("data-partner-id", entry.partnerId);
        item.appendChild(self.partnerButton(entry));
        ends.appendChild(item);
      });
      body.appendChild(ends);
      body.appendChild(el("h3", "gba-h3", this.text.sources));
      body.appendChild(this.sources(record.p));
      return;
    }
    heading.textContent = fill(this.text.partners_of, { name: core.name(record.p) });
    var entries = core.partnersOf(record.id);
    if (!entries.length) {
      body.appendChild(el("p", "gba-hint", this.text.no_partners));
      return;
    }
    var collator = new Intl.Collator(this.config.urlLang);
    entries.sort(function (a, b) {
      return collator.compare(core.partnerName(a), core.partnerName(b)) || (a.link.id < b.link.id ? -1 : 1);
    });
    var list = el("ul", "gba-partners");
    entries.forEach(function (entry) {
      var item = el("li", "gba-partner");
      item.setAttribute("data-link-id", entry.link.id);
      item.setAttribute("data-partner-id", entry.partnerId);
      var head = el("div", "gba-partner-head");
      if (entry.link.p.directed) head.appendChild(el("span", "gba-partner-direction", entry.outgoing ? "→ " : "← "));
      head.appendChild(self.partnerButton(entry));
      item.appendChild(head);
      item.appendChild(self.metaLine(entry.link));
      item.appendChild(self.sources(entry.link.p));
      list.appendChild(item);
    });
    body.appendChild(list);
  };

  Explore.prototype.partnerButton = function (entry) {
    var button = el("button", "gba-link-button", this.core.partnerName(entry));
    button.type = "button";
    if (entry.partner) button.setAttribute("data-select", entry.partnerId);
    else button.disabled = true;
    return button;
  };

  // ---- cross-border links per pair of jurisdictions ----
  Explore.prototype.renderPairs = function () {
    var core = this.core;
    var body = byId("gba-pairs-body");
    if (!body) return;
    body.textContent = "";
    var pairs = core.pairCounts();
    if (!pairs.length) {
      body.appendChild(el("p", "gba-hint", this.text.pairs_none));
      return;
    }
    var most = pairs[0].count;
    var table = el("table", "gba-pairs");
    var head = el("thead");
    var headRow = el("tr");
    headRow.appendChild(el("th", null, this.text.pairs_pair)).setAttribute("scope", "col");
    headRow.appendChild(el("th", null, this.text.pairs_count)).setAttribute("scope", "col");
    head.appendChild(headRow);
    table.appendChild(head);
    var rows = el("tbody");
    pairs.forEach(function (pair) {
      var row = el("tr");
      row.setAttribute("data-pair", pair.key);
      var name = el("th", null, core.jurisdictionLabel(pair.a) + " ↔ " + core.jurisdictionLabel(pair.b));
      name.setAttribute("scope", "row");
      row.appendChild(name);
      var cell = el("td", "gba-pair-count");
      var bar = el("span", "gba-bar");
      bar.style.width = Math.max(4, Math.round((pair.count / most) * 100)) + "%";
      bar.setAttribute("aria-hidden", "true");
      cell.appendChild(bar);
      cell.appendChild(el("span", "gba-bar-value", pair.count));
      row.appendChild(cell);
      rows.appendChild(row);
    });
    table.appendChild(rows);
    body.appendChild(table);
  };

  // ---- the list of what is shown ----
  Explore.prototype.wireList = function () {
    var self = this;
    var body = byId("gba-list-body");
    body.addEventListener("click", function (event) {
      var more = event.target.closest(".gba-list-more");
      if (more) {
        self.listLimit += LIST_PAGE;
        self.renderList();
        return;
      }
      var item = event.target.closest("button[data-id]");
      if (!item) return;
      self.rove(item);
      self.core.select(item.getAttribute("data-id"), { move: "fly" });
    });
    body.addEventListener("keydown", function (event) {
      var item = event.target.closest("button[data-id]");
      if (!item) return;
      var items = Array.prototype.slice.call(body.querySelectorAll("button[data-id]"));
      var at = items.indexOf(item);
      var next = null;
      if (event.key === "ArrowDown" || event.key === "ArrowRight") next = items[Math.min(at + 1, items.length - 1)];
      else if (event.key === "ArrowUp" || event.key === "ArrowLeft") next = items[Math.max(at - 1, 0)];
      else if (event.key === "Home") next = items[0];
      else if (event.key === "End") next = items[items.length - 1];
      if (!next) return;
      event.preventDefault();
      self.rove(next);
      next.focus();
    });
  };

  Explore.prototype.rove = function (item) {
    // One item of the list is in the Tab order; arrow keys move between the others.
    Array.prototype.forEach.call(byId("gba-list-body").querySelectorAll("button[data-id]"), function (button) {
      button.tabIndex = button === item ? 0 : -1;
    });
  };

  Explore.prototype.listOrder = function () {
    // Layer order, then names in the page's language.
    var core = this.core;
    var collator = new Intl.Collator(this.config.urlLang);
    var rank = {};
    this.config.overlays.forEach(function (overlay, i) {
      rank[overlay.name] = i;
    });
    var names = {};
    core.records.forEach(function (record) {
      names[record.id] = core.recordName(record);
    });
    return function (a, b) {
      return rank[a.overlay] - rank[b.overlay] || collator.compare(names[a.id], names[b.id]);
    };
  };

  Explore.prototype.sortedRecords = function () {
    // Records never change once loaded, so sort once.
    if (!this.sorted) this.sorted = this.core.records.slice().sort(this.listOrder());
    return this.sorted;
  };

  // Sorting a 100k layer by name takes half a second: done ahead, in slices, when there is that much.
  var SLICED_SORT_MIN = 5000;
  var SORT_RUN = 1024; // records sorted at once before the merges
  var SLICE_MS = 40;

  function sortInSlices(items, compare, done) {
    // A bottom-up merge sort that yields to the page every SLICE_MS.  Stable, like
    // Array.prototype.sort, so it gives the same order with the same comparison.
    var n = items.length;
    var src = items.slice();
    var dst = new Array(n);
    var sortedUpTo = 0;
    var width = SORT_RUN;
    var lo = 0;
    var mid = 0;
    var hi = 0;
    var i = 0;
    var j = 0;
    var k = 0;
    var merging = false;
    var work = function () {
      var deadline = Date.now() + SLICE_MS;
      for (;;) {
        if (sortedUpTo < n) {
          var end = Math.min(sortedUpTo + SORT_RUN, n);
          var run = src.slice(sortedUpTo, end).sort(compare);
          for (var r = 0; r < run.length; r++) src[sortedUpTo + r] = run[r];
          sortedUpTo = end;
        } else if (width >= n) {
          return done(src);
        } else {
          if (!merging) {
            mid = Math.min(lo + width, n);
            hi = Math.min(lo + 2 * width, n);
            i = lo;
            j = mid;
            k = lo;
            merging = true;
          }
          var stop = Math.min(k + 2048, hi);
          while (k < stop) {
            // Ties keep the left (earlier) record first.
            if (i < mid && (j >= hi || compare(src[i], src[j]) <= 0)) dst[k++] = src[i++];
            else dst[k++] = src[j++];
          }
          if (k === hi) {
            merging = false;
            lo = hi;
            if (lo >= n) {
              var swap = src;
              src = dst;
              dst = swap;
              lo = 0;
              width *= 2;
            }
          }
        }
        if (Date.now() >= deadline) return setTimeout(work, 0);
      }
    };
    setTimeout(work, 0); // not in the task that placed the records
  }

  Explore.prototype.prepare = function () {
    // Called once every layer is loaded, before the panel first shows them: a big
    // dataset's list order is worked out here without freezing the page.
    var self = this;
    var records = this.core.records;
    if (!this.panel || records.length < SLICED_SORT_MIN) return null;
    return new Promise(function (resolve) {
      sortInSlices(records, self.listOrder(), function (sorted) {
        self.sorted = sorted;
        resolve();
      });
    });
  };

  Explore.prototype.listItem = function (record) {
    var core = this.core;
    var p = record.p;
    var item = el("li");
    var button = el("button", "gba-item");
    button.type = "button";
    button.tabIndex = -1;
    button.setAttribute("data-id", record.id);
    button.setAttribute("aria-label", core.accessibleName(record));
    var overlay = core.overlayByName[record.overlay];
    var isLink = record.overlay === this.config.linkLayer;
    button.appendChild(isLink ? icon("link", core.linkType(p).colour) : icon(overlay.kind, overlay.colour));
    var words = el("span", "gba-item-text");
    words.appendChild(el("span", "gba-item-name", core.recordName(record)));
    var meta = [isLink ? core.linkType(p).label : core.categoryLabel(p.category), core.statusLabel(p.status)];
    meta.push(typeof p.year === "number" ? String(p.year) : this.text.undated);
    words.appendChild(el("span", "gba-item-meta", meta.join(" · ")));
    button.appendChild(words);
    if (record.planned) button.classList.add("gba-item-planned");
    item.appendChild(button);
    return item;
  };

  Explore.prototype.renderList = function () {
    var self = this;
    var core = this.core;
    var body = byId("gba-list-body");
    var focused = document.activeElement;
    var focusedId = focused && body.contains(focused) ? focused.getAttribute("data-id") : null;
    body.textContent = "";
    var shown = this.sortedRecords().filter(function (record) {
      return core.isShown(record);
    });
    var budget = this.listLimit;
    var perLayer = {};
    shown.forEach(function (record) {
      (perLayer[record.overlay] = perLayer[record.overlay] || []).push(record);
    });
    this.config.overlays.forEach(function (overlay) {
      var records = perLayer[overlay.name];
      if (!records) return;
      var heading = el("h3", "gba-h3", overlay.label + " (" + records.length + ")");
      heading.id = "gba-list-" + overlay.name;
      body.appendChild(heading);
      var list = el("ul", "gba-items");
      list.setAttribute("aria-labelledby", heading.id);
      records.slice(0, Math.max(budget, 0)).forEach(function (record) {
        list.appendChild(self.listItem(record));
      });
      budget -= records.length;
      if (list.children.length) body.appendChild(list);
    });
    if (budget < 0) {
      var more = el("button", "gba-small-button gba-list-more", fill(this.text.list_more, { n: Math.min(-budget, LIST_PAGE) }));
      more.type = "button";
      body.appendChild(more);
    }
    if (!shown.length) body.appendChild(el("p", "gba-hint", this.text.list_empty));
    this.markSelected(false);
    var again = focusedId && body.querySelector('button[data-id="' + CSS.escape(focusedId) + '"]');
    var current = again || body.querySelector('button[aria-current="true"]') || body.querySelector("button[data-id]");
    if (current) this.rove(current);
    if (again) again.focus();
    var features = 0;
    var links = 0;
    shown.forEach(function (record) {
      if (record.overlay === self.config.linkLayer) links += 1;
      else features += 1;
    });
    var status = byId("gba-list-status");
    var summary = fill(this.text.shown_summary, { features: features, links: links });
    if (status.textContent !== summary) status.textContent = summary;
    byId("gba-list").setAttribute("data-count", String(shown.length));
  };

  Explore.prototype.markSelected = function (scroll) {
    var body = byId("gba-list-body");
    var selected = this.core.state.selected;
    Array.prototype.forEach.call(body.querySelectorAll('button[aria-current="true"]'), function (button) {
      button.removeAttribute("aria-current");
    });
    if (!selected) return;
    var button = body.querySelector('button[data-id="' + CSS.escape(selected) + '"]');
    if (!button) return;
    button.setAttribute("aria-current", "true");
    if (!body.contains(document.activeElement)) this.rove(button);
    if (scroll) {
      // Scroll the list alone (the panel stays where the reader is), just enough to show it.
      var box = body.getBoundingClientRect();
      var item = button.getBoundingClientRect();
      if (item.top < box.top) body.scrollTop -= box.top - item.top;
      else if (item.bottom > box.bottom) body.scrollTop += item.bottom - box.bottom;
    }
  };

  // ---- the map changed ----
  Explore.prototype.dataReady = function () {
    this.buildFilters();
    if (byId("gba-filter-summary").textContent) byId("gba-filters").open = true; // the URL chose some
    this.syncTimeline();
  };

  Explore.prototype.announce = function (message) {
    var region = byId("gba-announce");
    if (region) region.textContent = message;
  };

  Explore.prototype.update = function (kind, detail) {
    if (kind === "view") return;
    if (kind === "shown") {
      this.syncFilters();
      this.syncTimeline();
      this.renderList();
      this.renderPairs();
    }
    this.renderSelection();
    this.markSelected(kind === "selection");
    var record = this.core.index[this.core.state.selected];
    if (detail.revealed) this.announce(fill(this.text.filters_cleared, { name: this.core.recordName(detail.revealed) }));
    else if (kind === "selection" && record) this.announce(this.core.accessibleName(record));
  };

  window.GBAExplore = Explore;
})();
