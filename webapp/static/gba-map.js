/* GBA Cooperation Map: draws the dataset on the Leaflet map that folium built.
 *
 * The page passes a JSON config (webapp/mapview.py: map_config); the layers are
 * fetched from /download/<layer>.geojson, the same files users download.  Every
 * string that comes from the data reaches the page through textContent or
 * setAttribute, never as HTML.
 *
 * The map keeps one record per feature or link, made once.  Filters, the
 * timeline year and the selection are state; ``refresh`` works out where each
 * record belongs (its layer's group, the spotlight, or nowhere) and moves only
 * the records whose place or style changed.  gba-explore.js builds the panel
 * (search, filters, timeline, partners, list) on top of this state.
 */
(function () {
  "use strict";

  // ---- GCJ-02, mirroring geo/datum.py (tests compare the two) ----
  var KRASOVSKY_A = 6378245.0;
  var KRASOVSKY_EE = 0.00669342162296594323;

  function insideChinaBox(lon, lat) {
    return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;
  }

  function gcjDelta(lon, lat) {
    var x = lon - 105.0;
    var y = lat - 35.0;
    var pi = Math.PI;
    var dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    dlat += ((20.0 * Math.sin(6.0 * x * pi) + 20.0 * Math.sin(2.0 * x * pi)) * 2.0) / 3.0;
    dlat += ((20.0 * Math.sin(y * pi) + 40.0 * Math.sin((y / 3.0) * pi)) * 2.0) / 3.0;
    dlat += ((160.0 * Math.sin((y / 12.0) * pi) + 320 * Math.sin((y * pi) / 30.0)) * 2.0) / 3.0;
    var dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    dlon += ((20.0 * Math.sin(6.0 * x * pi) + 20.0 * Math.sin(2.0 * x * pi)) * 2.0) / 3.0;
    dlon += ((20.0 * Math.sin(x * pi) + 40.0 * Math.sin((x / 3.0) * pi)) * 2.0) / 3.0;
    dlon += ((150.0 * Math.sin((x / 12.0) * pi) + 300.0 * Math.sin((x / 30.0) * pi)) * 2.0) / 3.0;
    var rad = (lat / 180.0) * pi;
    var magic = 1 - KRASOVSKY_EE * Math.pow(Math.sin(rad), 2);
    var sqrtMagic = Math.sqrt(magic);
    dlat = (dlat * 180.0) / (((KRASOVSKY_A * (1 - KRASOVSKY_EE)) / (magic * sqrtMagic)) * pi);
    dlon = (dlon * 180.0) / ((KRASOVSKY_A / sqrtMagic) * Math.cos(rad) * pi);
    return [dlon, dlat];
  }

  function wgs84ToGcj02(lon, lat) {
    if (!insideChinaBox(lon, lat)) return [lon, lat];
    var d = gcjDelta(lon, lat);
    return [lon + d[0], lat + d[1]];
  }

  function gcj02ToWgs84(lon, lat) {
    // No closed form: iterate the forward shift, as geo/datum.py does.
    var wlon = lon;
    var wlat = lat;
    for (var i = 0; i < 30; i++) {
      var g = wgs84ToGcj02(wlon, wlat);
      var errLon = g[0] - lon;
      var errLat = g[1] - lat;
      wlon -= errLon;
      wlat -= errLat;
      if (Math.abs(errLon) < 1e-9 && Math.abs(errLat) < 1e-9) break;
    }
    return [wlon, wlat];
  }

  // ---- small helpers: text only ----
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function escapeHtml(text) {
    // For our own labels in places where Leaflet insists on HTML (layer control names).
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function fill(template, values) {
    // "{name} ↔ {b}" with plain-text values (the result goes to textContent or an attribute).
    return String(template).replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  function round(value, digits) {
    var f = Math.pow(10, digits);
    return Math.round(value * f) / f;
  }

  function setOf(values) {
    var set = {};
    (values || []).forEach(function (value) {
      set[value] = true;
    });
    return set;
  }

  function isYear(value) {
    return typeof value === "number" && isFinite(value);
  }

  var FILTER_KEYS = ["category", "jurisdiction", "status", "link_type"];

  function emptyFilters() {
    return { category: [], jurisdiction: [], status: [], link_type: [], cross_border: null };
  }

  function copyFilters(filters) {
    var copy = emptyFilters();
    FILTER_KEYS.forEach(function (key) {
      copy[key] = ((filters && filters[key]) || []).slice();
    });
    copy.cross_border = filters && typeof filters.cross_border === "boolean" ? filters.cross_border : null;
    return copy;
  }

  var SVG_NS = "http://www.w3.org/2000/svg";

  function arrowIcon(angleDegrees, colour) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "-7 -7 14 14");
    svg.setAttribute("width", "16");
    svg.setAttribute("height", "16");
    var path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", "M6,0 L-5,-5 L-2,0 L-5,5 Z");
    path.setAttribute("fill", colour);
    path.setAttribute("stroke", "#fff");
    path.setAttribute("stroke-width", "1");
    path.setAttribute("transform", "rotate(" + angleDegrees + ")");
    svg.appendChild(path);
    return L.divIcon({ html: svg, className: "gba-arrow", iconSize: [16, 16], iconAnchor: [8, 8] });
  }

  function pointInRing(lat, lng, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var a = ring[i];
      var b = ring[j];
      if (a.lat > lat !== b.lat > lat && lng < ((b.lng - a.lng) * (lat - a.lat)) / (b.lat - a.lat) + a.lng) {
        inside = !inside;
      }
    }
    return inside;
  }

  function pointInPolygonLatLngs(latlng, latlngs) {
    // Leaflet nests rings as [ring, hole...] for a polygon and [[ring, hole...], ...] for a multipolygon.
    if (!latlngs.length) return false;
    if (!Array.isArray(latlngs[0][0])) latlngs = [latlngs];
    return latlngs.some(function (polygon) {
      if (!pointInRing(latlng.lat, latlng.lng, polygon[0])) return false;
      for (var h = 1; h < polygon.length; h++) if (pointInRing(latlng.lat, latlng.lng, polygon[h])) return false;
      return true;
    });
  }

  // ---- the map ----
  // Draw order on the one feature canvas, back to front: the topmost feature under the
  // pointer gets the click, so markers stay clickable where links end at them.
  var STACK = ["polygon", "link", "point"];

  function CooperationMap(map, basemaps, config) {
    this.map = map;
    this.basemaps = basemaps;
    this.config = config;
    this.text = config.text;
    this.basemap = config.basemap;
    this.datum = config.basemaps[config.basemap].datum;
    this.overlayByName = {};
    this.groups = {};
    this.spotlights = {}; // per point layer: its highlighted markers, out of the clusters
    this.collections = {};
    this.records = [];
    this.index = {};
    this.linksByEnd = {};
    this.failed = [];
    this.listeners = [];
    this.quiet = 0; // >0 while we move layers ourselves: their popup events are not the user's
    this.loaded = false;
    this.highlight = null;
    this.state = {
      filters: copyFilters(config.filters),
      year: isYear(config.year) ? config.year : null,
      selected: null,
    };
    this.compileFilters();
    this.jurisdictionNames = {};
    // One canvas for every feature (stacked canvases would hide the lower ones from the
    // pointer); lines are thin, so the hit area is widened.
    map.options.renderer = L.canvas({ padding: 0.5, tolerance: 6 });
  }

  CooperationMap.prototype.start = function () {
    var self = this;
    var map = this.map;
    // The URL parameters accept zoom 0-18 (Positron's tiles go further): keep links valid.
    map.setMaxZoom(this.config.maxZoom);
    this.config.overlays.forEach(function (overlay) {
      self.overlayByName[overlay.name] = overlay;
      var group =
        overlay.kind === "point"
          ? L.markerClusterGroup({
              // Big layers are clustered in slices of 100 ms so the page keeps answering;
              // a small layer still finishes within the first slice, synchronously.
              chunkedLoading: true,
              chunkInterval: 100,
              maxClusterRadius: 36,
              showCoverageOnHover: false,
              spiderfyDistanceMultiplier: 1.6,
              iconCreateFunction: self.clusterIcon(overlay.colour),
            })
          : L.featureGroup();
      self.groups[overlay.name] = group;
      if (overlay.kind === "point") self.spotlights[overlay.name] = L.featureGroup();
      self.watchHover(group);
      if (overlay.visible) self.showGroup(overlay.name);
    });
    if (this.config.controls) this.addLayerControl();
    this.setInitialView();

    map.on("baselayerchange", function (event) {
      Object.keys(self.basemaps).forEach(function (key) {
        if (self.basemaps[key] === event.layer) self.basemap = key;
      });
      self.setDatum(self.config.basemaps[self.basemap].datum);
      self.changed("view");
    });
    map.on("overlayadd overlayremove", function (event) {
      self.overlayToggled(event);
    });
    map.on("moveend", function () {
      self.changed("view");
    });
    map.on("zoomend", function () {
      if (self.contextShapes) self.styleContext();
    });
    map.on("popupopen", function (event) {
      self.popupOpened(event);
    });
    map.on("popupclose", function (event) {
      self.popupClosed(event);
    });
    map.on("mousemove", function (event) {
      self.hoverContext(event);
    });
    map.on("mouseout movestart zoomstart popupopen", function () {
      self.hideContextTip();
    });
    this.wireShareControls();
    if (window.GBAExplore && this.config.controls) this.explorer = new window.GBAExplore(this);
    this.ready = this.load();
    return this;
  };

  CooperationMap.prototype.showGroup = function (name) {
    this.map.addLayer(this.groups[name]);
    if (this.spotlights[name]) this.map.addLayer(this.spotlights[name]);
    this.rebuildGroup(name);
  };

  CooperationMap.prototype.overlayToggled = function (event) {
    var self = this;
    Object.keys(this.groups).forEach(function (name) {
      if (self.groups[name] !== event.layer) return;
      var spotlight = self.spotlights[name];
      if (spotlight) {
        if (event.type === "overlayadd") self.map.addLayer(spotlight);
        else self.map.removeLayer(spotlight);
      }
      if (event.type === "overlayadd") self.rebuildGroup(name);
      var selected = self.index[self.state.selected];
      if (event.type === "overlayremove" && selected && selected.overlay === name) self.clearSelection();
    });
    if (event.type === "overlayadd") this.restack();
    this.changed("shown");
  };

  CooperationMap.prototype.addLayerControl = function () {
    var self = this;
    var bases = {};
    Object.keys(this.basemaps).forEach(function (key) {
      bases[escapeHtml(self.config.basemaps[key].label)] = self.basemaps[key];
    });
    var overlays = {};
    this.config.overlays.forEach(function (overlay) {
      var swatch =
        '<span class="gba-swatch gba-swatch-' + overlay.kind + '" style="--gba-colour:' + overlay.colour + '"></span>';
      // The count is filled in (as text) once the layer is loaded and whenever the filters change.
      var count = '<span class="gba-layer-count" data-layer="' + escapeHtml(overlay.name) + '"></span>';
      overlays[swatch + escapeHtml(overlay.label) + count] = self.groups[overlay.name];
    });
    this.layerControl = L.control.layers(bases, overlays, { collapsed: this.config.embed }).addTo(this.map);
  };

  CooperationMap.prototype.setInitialView = function () {
    var view = this.config.view;
    if (view.center) this.map.setView(view.center, view.zoom === null ? 13 : view.zoom);
    else this.map.fitBounds(view.bounds);
  };

  CooperationMap.prototype.load = function () {
    var self = this;
    var jobs = this.config.overlays.map(function (overlay) {
      return fetch(overlay.url, { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.arrayBuffer();
        })
        .then(function (bytes) {
          return self.takeIn(overlay, bytes);
        })
        .catch(function (error) {
          self.failed.push(overlay.name);
          self.showError(overlay, error);
        });
    });
    if (this.config.urls.context) jobs.push(this.loadContext(this.config.urls.context));
    return Promise.all(jobs)
      .then(function () {
        return self.explorer && self.explorer.prepare();
      })
      .then(function () {
        self.loaded = true;
        if (self.config.controls) self.addLegend();
        if (self.explorer) self.explorer.dataReady();
        if (self.config.focus) self.focus(self.config.focus, self.config.focusZoom);
        else if (self.config.select) self.select(self.config.select, { autoPan: false });
        self.changed("shown");
        self.writeUrl();
        return { failed: self.failed.slice() };
      });
  };

  // A layer file this big (100k points are ~150 MB) is parsed in a worker and taken in
  // batch by batch: one JSON.parse of it would freeze the page for seconds.
  var WORKER_MIN_BYTES = 4 * 1024 * 1024;

  CooperationMap.prototype.takeIn = function (overlay, bytes) {
    // Makes the layer's records and places them; a promise when the layer comes in batches.
    var self = this;
    var workerUrl = this.config.urls.parseWorker;
    var worker = null;
    if (bytes.byteLength >= WORKER_MIN_BYTES && workerUrl && window.Worker && window.TextDecoder) {
      try {
        worker = new Worker(workerUrl);
      } catch (error) {
        worker = null; // e.g. workers forbidden by the embedding page: parse here
      }
    }
    if (!worker) {
      var collection = JSON.parse(new TextDecoder().decode(bytes));
      this.collections[overlay.name] = collection;
      this.addRecords(overlay, collection.features);
      this.refresh();
      return null;
    }
    return new Promise(function (resolve, reject) {
      var features = [];
      var fail = function (message) {
        worker.terminate();
        reject(new Error(message));
      };
      worker.onmessage = function (event) {
        var data = event.data;
        if (data.error) return fail(data.error);
        if (data.features) {
          // Each batch is one short task: its records are made and styled now, and
          // placed with the rest at the end (one batch into the cluster group).
          Array.prototype.push.apply(features, data.features);
          if (overlay.kind !== "polygon") self.styleRecords(self.addRecords(overlay, data.features));
          return;
        }
        worker.terminate();
        self.collections[overlay.name] = { type: "FeatureCollection", features: features };
        // Polygons are ordered by area over the whole layer, so they wait for all of it.
        if (overlay.kind === "polygon") self.addRecords(overlay, features);
        self.refresh();
        resolve();
      };
      worker.onerror = function (event) {
        event.preventDefault();
        fail(event.message || "cannot parse the layer");
      };
      worker.postMessage({ bytes: bytes }, [bytes]);
    });
  };

  // ---- records: one per feature or link, made once ----
  CooperationMap.prototype.addRecords = function (overlay, features) {
    // Returns the records made (a feature without id, or with one already taken, makes none).
    var self = this;
    var added = [];
    if (overlay.kind === "polygon") {
      // Larger zones first, so a zone inside another (a park of a national zone) is drawn
      // above it and stays clickable.
      features = features.slice().sort(function (a, b) {
        return ((b.properties || {}).area_km2 || 0) - ((a.properties || {}).area_km2 || 0);
      });
    }
    features.forEach(function (feature) {
      var p = feature.properties || {};
      if (!p.id || self.index[p.id]) return;
      var record = {
        id: p.id,
        overlay: overlay.name,
        kind: overlay.kind,
        p: p,
        feature: feature,
        layer: null,
        arrow: null,
        container: null,
        passes: false,
        styleKey: null, // what refresh last styled it as
      };
      if (!self.makeLayers(record)) return;
      self.records.push(record);
      added.push(record);
      self.index[p.id] = record;
      self.learnJurisdictions(p);
      if (overlay.name === self.config.linkLayer) {
        [p.from_id, p.to_id].forEach(function (end) {
          if (!end) return;
          (self.linksByEnd[end] = self.linksByEnd[end] || []).push(record);
        });
      }
    });
    return added;
  };

  CooperationMap.prototype.learnJurisdictions = function (p) {
    // Names of jurisdictions in the three languages, from the features that carry them.
    if (!p.jurisdiction || this.jurisdictionNames[p.jurisdiction]) return;
    this.jurisdictionNames[p.jurisdiction] = {
      en: p.jurisdiction,
      zh_hant: p.jurisdiction_zh_hant || p.jurisdiction,
      zh_hans: p.jurisdiction_zh_hans || p.jurisdiction,
    };
  };

  CooperationMap.prototype.jurisdictionLabel = function (jurisdiction) {
    var names = this.jurisdictionNames[jurisdiction];
    return (names && names[this.config.lang]) || jurisdiction;
  };

  CooperationMap.prototype.recordsOf = function (overlayName) {
    return this.records.filter(function (record) {
      return record.overlay === overlayName;
    });
  };

  // ---- filters and timeline: the same rules as /download (webapp/providers/files.py) ----
  CooperationMap.prototype.compileFilters = function () {
    var filters = this.state.filters;
    var sets = {};
    FILTER_KEYS.forEach(function (key) {
      sets[key] = filters[key].length ? setOf(filters[key]) : null;
    });
    this.filterSets = sets;
  };

  CooperationMap.prototype.recordJurisdictions = function (record) {
    var p = record.p;
    if (record.overlay === this.config.linkLayer) return [p.from_jurisdiction, p.to_jurisdiction];
    return p.jurisdictions && p.jurisdictions.length ? p.jurisdictions : [p.jurisdiction];
  };

  CooperationMap.prototype.matchesFilters = function (record) {
    // Comma = any of; properties combine with AND; a record lacking the property never matches.
    var sets = this.filterSets;
    var p = record.p;
    if (sets.category && !(p.category != null && sets.category[p.category] === true)) return false;
    if (sets.status && !(p.status != null && sets.status[p.status] === true)) return false;
    if (sets.link_type && !(p.link_type != null && sets.link_type[p.link_type] === true)) return false;
    var crossBorder = this.state.filters.cross_border;
    if (crossBorder !== null && p.cross_border !== crossBorder) return false;
    if (sets.jurisdiction) {
      var found = this.recordJurisdictions(record).some(function (j) {
        return j != null && sets.jurisdiction[j] === true;
      });
      if (!found) return false;
    }
    return true;
  };

  CooperationMap.prototype.inTimeline = function (p, year) {
    // A record appears from its year (start or announcement); undated records are shown throughout.
    if (year === undefined) year = this.state.year;
    return year === null || !isYear(p.year) || p.year <= year;
  };

  CooperationMap.prototype.isPlannedAt = function (p, year) {
    // Planned or proposed records are drawn as planned; so is any record before its target year.
    if (year === undefined) year = this.state.year;
    if (this.config.dashedStatuses.indexOf(p.status) >= 0) return true;
    return year !== null && isYear(p.target_year) && year < p.target_year;
  };

  CooperationMap.prototype.passes = function (record) {
    return this.matchesFilters(record) && this.inTimeline(record.p);
  };

  CooperationMap.prototype.overlayVisible = function (name) {
    return Boolean(this.groups[name]) && this.map.hasLayer(this.groups[name]);
  };

  CooperationMap.prototype.isShown = function (record) {
    return record.passes && this.overlayVisible(record.overlay);
  };

  CooperationMap.prototype.shownRecords = function () {
    var self = this;
    return this.records.filter(function (record) {
      return self.isShown(record);
    });
  };

  CooperationMap.prototype.counts = function () {
    // Records that pass the filters and the timeline, per layer (shown when the layer is on).
    var counts = {};
    this.config.overlays.forEach(function (overlay) {
      counts[overlay.name] = 0;
    });
    this.records.forEach(function (record) {
      if (record.passes) counts[record.overlay] += 1;
    });
    return counts;
  };

  CooperationMap.prototype.setFilters = function (filters) {
    this.state.filters = copyFilters(filters);
    this.compileFilters();
    this.refresh();
    this.changed("shown");
  };

  CooperationMap.prototype.setYear = function (year) {
    year = isYear(year) ? year : null;
    if (year !== null && this.config.timeline && year >= this.config.timeline.last) year = null;
    if (year === this.state.year) return;
    this.state.year = year;
    this.refresh();
    this.changed("shown");
  };

  CooperationMap.prototype.timelineYear = function () {
    // The year the timeline shows: the chosen one, or the latest.
    if (this.state.year !== null) return this.state.year;
    return this.config.timeline ? this.config.timeline.last : null;
  };

  // ---- placing records: only what changed moves ----
  CooperationMap.prototype.highlightSet = function () {
    var selected = this.index[this.state.selected];
    if (!selected || !selected.passes) return null;
    var set = {};
    set[selected.id] = "selected";
    var partner = function (id) {
      if (id && !set[id]) set[id] = "partner";
    };
    if (selected.overlay === this.config.linkLayer) {
      partner(selected.p.from_id);
      partner(selected.p.to_id);
    } else {
      (this.linksByEnd[selected.id] || []).forEach(function (link) {
        if (!link.passes) return;
        set[link.id] = set[link.id] || "link";
        partner(link.p.from_id === selected.id ? link.p.to_id : link.p.from_id);
      });
    }
    return set;
  };

  CooperationMap.prototype.refresh = function () {
    var self = this;
    this.records.forEach(function (record) {
      record.passes = self.passes(record);
    });
    // A selection the filters or the year now hide ends (its popup goes with its layer).
    var selected = this.index[this.state.selected];
    if (this.state.selected !== null && !(selected && selected.passes)) this.state.selected = null;
    var highlight = this.highlightSet();
    this.highlight = highlight;
    var moves = {}; // per container: its members after the move, what leaves and what arrives
    var batch = function (group) {
      var key = L.Util.stamp(group);
      if (!moves[key]) moves[key] = { group: group, members: [], leaving: [], arriving: [] };
      return moves[key];
    };
    var restack = false;
    var year = this.state.year;
    this.records.forEach(function (record) {
      var role = highlight ? highlight[record.id] || null : null;
      var target = null;
      if (record.passes) {
        target = role && record.kind === "point" ? self.spotlights[record.overlay] : self.groups[record.overlay];
      }
      if (target) batch(target).members.push(record);
      if (target !== record.container) {
        if (record.container) batch(record.container).leaving.push(record);
        if (target) batch(target).arriving.push(record);
        if (target && record.kind !== "point") restack = true;
        record.container = target;
      }
      if (self.styleRecord(record, highlight, role, year)) restack = true;
    });
    this.quiet += 1;
    try {
      Object.keys(moves).forEach(function (key) {
        self.applyMoves(moves[key]);
      });
    } finally {
      this.quiet -= 1;
    }
    var container = this.map.getContainer();
    if (highlight) container.classList.add("gba-dimmed");
    else container.classList.remove("gba-dimmed");
    if (restack || highlight) this.restack();
    if (this.contextGroup) this.styleContext();
  };

  CooperationMap.prototype.styleRecord = function (record, highlight, role, year) {
    // Restyles the record when its look changed; true when the canvas needs restacking.
    var planned = this.isPlannedAt(record.p, year);
    var dim = Boolean(highlight) && !role;
    var key = (planned ? "p" : "") + (dim ? "d" : "") + (role || "");
    if (key === record.styleKey) return false;
    record.styleKey = key;
    record.planned = planned;
    record.layer.setStyle(this.styleFor(record, planned, role, dim));
    if (record.arrow) record.arrow.setOpacity(dim ? 0.2 : 1);
    return Boolean(role) && record.kind !== "point";
  };

  CooperationMap.prototype.styleRecords = function (records) {
    // Styles new records ahead of refresh (which then finds them styled): a big layer's
    // batches share out the work that would otherwise fall on one refresh.
    var self = this;
    var highlight = this.highlight;
    var year = this.state.year;
    records.forEach(function (record) {
      self.styleRecord(record, highlight, highlight ? highlight[record.id] || null : null, year);
    });
  };

  function layersOf(records) {
    var layers = [];
    records.forEach(function (record) {
      layers.push(record.layer);
      if (record.arrow) layers.push(record.arrow);
    });
    return layers;
  }

  CooperationMap.prototype.applyMoves = function (move) {
    var group = move.group;
    if (!move.leaving.length && !move.arriving.length) return;
    if (group.removeLayers && !this.map.hasLayer(group)) {
      // Off the map a cluster group searches a plain array for every marker it is given:
      // leave it be, and fill it in one batch when it is shown (rebuildGroup).
      group.gbaStale = true;
      return;
    }
    if (group.removeLayers) {
      // A cluster group: removing markers one by one costs far more than re-adding the
      // few that stay, so a big departure rebuilds the group in one batch.
      if (move.leaving.length > move.members.length) {
        group.clearLayers();
        group.addLayers(layersOf(move.members));
        return;
      }
      if (move.leaving.length) group.removeLayers(layersOf(move.leaving));
      if (move.arriving.length) group.addLayers(layersOf(move.arriving));
      return;
    }
    layersOf(move.leaving).forEach(group.removeLayer, group);
    layersOf(move.arriving).forEach(group.addLayer, group);
  };

  CooperationMap.prototype.rebuildGroup = function (name) {
    var group = this.groups[name];
    if (!group.gbaStale) return;
    group.gbaStale = false;
    var members = this.records.filter(function (record) {
      return record.container === group;
    });
    this.quiet += 1;
    try {
      group.clearLayers();
      group.addLayers(layersOf(members));
    } finally {
      this.quiet -= 1;
    }
  };

  CooperationMap.prototype.restack = function () {
    // The canvas draws in the order layers were added: polygons, then links, then markers,
    // and within each kind the highlighted ones last (on top).
    var self = this;
    var highlight = this.highlight || {};
    STACK.forEach(function (kind) {
      [false, true].forEach(function (highlighted) {
        self.records.forEach(function (record) {
          if (record.kind !== kind || Boolean(highlight[record.id]) !== highlighted) return;
          if (record.layer.bringToFront && self.map.hasLayer(record.layer)) record.layer.bringToFront();
        });
      });
    });
  };

  // ---- coordinates: WGS-84 as stored, shifted to GCJ-02 on Gaode's tiles ----
  CooperationMap.prototype.shiftOf = function (position, jurisdiction) {
    if (this.datum !== "gcj02" || this.config.unshiftedJurisdictions.indexOf(jurisdiction) >= 0) return [0, 0];
    var shifted = wgs84ToGcj02(position[0], position[1]);
    return [shifted[0] - position[0], shifted[1] - position[1]];
  };

  CooperationMap.prototype.toLatLng = function (position, jurisdiction) {
    var shift = this.shiftOf(position, jurisdiction);
    return L.latLng(position[1] + shift[1], position[0] + shift[0]);
  };

  CooperationMap.prototype.ringsToLatLngs = function (coordinates, depth, jurisdiction) {
    var self = this;
    if (depth === 0) return this.toLatLng(coordinates, jurisdiction);
    return coordinates.map(function (part) {
      return self.ringsToLatLngs(part, depth - 1, jurisdiction);
    });
  };

  CooperationMap.prototype.linkLatLngs = function (coordinates, p) {
    // Each end moves with its own endpoint (a cross-border link has one shifted end);
    // vertices in between take a share of both shifts.
    var last = coordinates.length - 1;
    var start = this.shiftOf(coordinates[0], p.from_jurisdiction);
    var end = this.shiftOf(coordinates[last], p.to_jurisdiction);
    return coordinates.map(function (c, i) {
      var f = last > 0 ? i / last : 0;
      return L.latLng(c[1] + start[1] + (end[1] - start[1]) * f, c[0] + start[0] + (end[0] - start[0]) * f);
    });
  };

  CooperationMap.prototype.setDatum = function (datum) {
    if (datum === this.datum) return;
    this.datum = datum;
    var self = this;
    var selected = this.state.selected;
    // Take every record off, move it, and put back what belongs: one batch per group.
    this.quiet += 1;
    try {
      this.map.closePopup();
      Object.keys(this.groups).forEach(function (name) {
        self.groups[name].clearLayers();
        if (self.spotlights[name]) self.spotlights[name].clearLayers();
      });
      this.records.forEach(function (record) {
        record.container = null;
        record.styleKey = null;
        self.placeGeometry(record);
      });
    } finally {
      this.quiet -= 1;
    }
    this.refresh();
    if (selected && this.index[selected] && this.index[selected].passes) this.openPopupFor(this.index[selected]);
    if (this.context) this.drawContext();
  };

  CooperationMap.prototype.placeGeometry = function (record) {
    var geometry = record.feature.geometry;
    var p = record.p;
    if (record.kind === "point") {
      record.layer.setLatLng(this.toLatLng(geometry.coordinates, p.jurisdiction));
    } else if (record.kind === "polygon") {
      var depth = geometry.type === "Polygon" ? 2 : 3;
      record.layer.setLatLngs(this.ringsToLatLngs(geometry.coordinates, depth, p.jurisdiction));
    } else {
      var latlngs = this.linkLatLngs(geometry.coordinates, p);
      record.layer.setLatLngs(latlngs);
      if (record.arrow) record.arrow = this.arrowMarker(latlngs, record.layer.options.color);
    }
  };

  // ---- drawing ----
  CooperationMap.prototype.isApproximate = function (p) {
    var precision = this.config.precisions[p.coord_precision];
    return precision ? precision.approximate : Boolean(p.approximate);
  };

  CooperationMap.prototype.linkType = function (p) {
    return this.config.linkTypes[p.link_type] || { label: p.link_type, colour: "#555555" };
  };

  CooperationMap.prototype.styleFor = function (record, planned, role, dim) {
    var p = record.p;
    var overlay = this.overlayByName[record.overlay];
    var approximate = this.isApproximate(p);
    var selected = role === "selected";
    if (record.kind === "point") {
      return {
        radius: selected ? 9 : 7,
        color: selected ? "#111111" : overlay.colour,
        weight: selected ? 3 : approximate || planned ? 2 : 1.5,
        opacity: dim ? 0.25 : 1,
        fillColor: approximate ? "#ffffff" : overlay.colour,
        fillOpacity: dim ? 0.15 : planned && !approximate ? 0.35 : 0.9,
        // dotted: planned; dashed: approximate position
        dashArray: planned ? "1 3" : approximate ? "3 2" : null,
      };
    }
    if (record.kind === "polygon") {
      return {
        color: selected ? "#111111" : overlay.colour,
        weight: selected ? 4 : 2,
        opacity: dim ? 0.25 : 1,
        fillColor: overlay.colour,
        fillOpacity: dim ? 0.03 : planned ? 0.05 : 0.15,
        dashArray: planned ? "2 5" : approximate ? "6 4" : null,
      };
    }
    return {
      color: this.linkType(p).colour,
      weight: role ? 5 : 3,
      opacity: dim ? 0.12 : 0.85,
      dashArray: planned ? "8 6" : null,
    };
  };

  CooperationMap.prototype.makeLayers = function (record) {
    var self = this;
    var p = record.p;
    var geometry = record.feature.geometry || {};
    var overlay = this.overlayByName[record.overlay];
    var layer;
    if (record.kind === "point" && geometry.type === "Point") {
      layer = L.circleMarker(this.toLatLng(geometry.coordinates, p.jurisdiction), { radius: 7 });
    } else if (record.kind === "polygon" && (geometry.type === "Polygon" || geometry.type === "MultiPolygon")) {
      var depth = geometry.type === "Polygon" ? 2 : 3;
      layer = L.polygon(this.ringsToLatLngs(geometry.coordinates, depth, p.jurisdiction));
    } else if (record.kind === "link" && geometry.type === "LineString") {
      var type = this.linkType(p);
      var latlngs = this.linkLatLngs(geometry.coordinates, p);
      layer = L.polyline(latlngs, { color: type.colour });
      layer.bindTooltip(
        function () {
          return self.linkSummary(p, type);
        },
        { sticky: true }
      );
      layer.bindPopup(function () {
        return self.linkPopup(p, type);
      }, { maxWidth: 340 });
      if (p.directed && latlngs.length > 1) record.arrow = this.arrowMarker(latlngs, type.colour);
    } else {
      return false;
    }
    if (record.kind !== "link") {
      layer.bindTooltip(function () {
        return el("span", null, self.name(p));
      });
      layer.bindPopup(function () {
        return self.featurePopup(p, overlay);
      }, { maxWidth: 340 });
    }
    layer.gbaId = record.id;
    record.layer = layer;
    return true;
  };

  CooperationMap.prototype.arrowMarker = function (latlngs, colour) {
    // Web Mercator is conformal and zooming scales it uniformly, so the on-screen
    // angle found at zoom 0 holds at every zoom: the icon never needs redrawing.
    var map = this.map;
    var points = latlngs.map(function (ll) {
      return map.project(ll, 0);
    });
    var lengths = [0];
    for (var i = 1; i < points.length; i++) lengths.push(lengths[i - 1] + points[i].distanceTo(points[i - 1]));
    var target = lengths[lengths.length - 1] * 0.6;
    var j = 1;
    while (j < points.length - 1 && lengths[j] < target) j++;
    var a = points[j - 1];
    var b = points[j];
    var span = lengths[j] - lengths[j - 1] || 1;
    var at = a.add(b.subtract(a).multiplyBy((target - lengths[j - 1]) / span));
    var angle = (Math.atan2(b.y - a.y, b.x - a.x) * 180) / Math.PI;
    return L.marker(map.unproject(at, 0), {
      icon: arrowIcon(round(angle, 1), colour),
      interactive: false,
      keyboard: false,
      zIndexOffset: -1000, // under the cluster bubbles, whichever layer loaded first
    });
  };

  CooperationMap.prototype.clusterIcon = function (colour) {
    return function (cluster) {
      var bubble = el("span", "gba-cluster-count", cluster.getChildCount());
      bubble.style.backgroundColor = colour;
      return L.divIcon({ html: bubble, className: "gba-cluster", iconSize: [30, 30] });
    };
  };

  // ---- context: jurisdiction outlines under the data, names on hover ----
  CooperationMap.prototype.loadContext = function (url) {
    // Jurisdiction outlines under the data: the map stays readable when tiles are blocked.
    var self = this;
    return fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (collection) {
        self.context = collection;
        collection.features.forEach(function (feature) {
          var p = feature.properties || {};
          if (p.level !== "jurisdiction" || !p.jurisdiction) return;
          // Features name their jurisdiction in short forms; the outlines fill in the rest.
          if (!self.jurisdictionNames[p.jurisdiction]) {
            self.jurisdictionNames[p.jurisdiction] = {
              en: p.name_en || p.jurisdiction,
              zh_hant: p.name_zh_hant || p.jurisdiction,
              zh_hans: p.name_zh_hans || p.jurisdiction,
            };
          }
        });
        self.drawContext();
      })
      .catch(function (error) {
        if (window.console) console.error("GBA map: cannot load", url, error);
      });
  };

  CooperationMap.prototype.drawContext = function () {
    var self = this;
    if (!this.contextGroup) this.contextGroup = L.featureGroup().addTo(this.map);
    if (!this.contextRenderer) {
      // Its own pane under the features, never in the way of the pointer (hover is
      // worked out from the mouse position instead, see hoverContext).
      var pane = this.map.createPane("gba-context");
      pane.style.zIndex = 350;
      pane.style.pointerEvents = "none";
      this.contextRenderer = L.canvas({ pane: "gba-context", padding: 0.5 });
    }
    this.contextGroup.clearLayers();
    this.contextShapes = [];
    var sars = this.config.sars || [];
    // Cities, then districts, then the SARs on top: the Shenzhen-Hong Kong and
    // Zhuhai-Macau borders are drawn last and thickest.
    var rank = function (p) {
      if (p.level === "district") return 1;
      return sars.indexOf(p.jurisdiction) >= 0 ? 2 : 0;
    };
    this.context.features
      .slice()
      .sort(function (a, b) {
        return rank(a.properties) - rank(b.properties);
      })
      .forEach(function (feature) {
        var geometry = feature.geometry;
        if (!geometry || (geometry.type !== "Polygon" && geometry.type !== "MultiPolygon")) return;
        var p = feature.properties;
        var depth = geometry.type === "Polygon" ? 2 : 3;
        var polygon = L.polygon(self.ringsToLatLngs(geometry.coordinates, depth, p.jurisdiction), {
          renderer: self.contextRenderer,
          pane: "gba-context",
          interactive: false,
        });
        var shape = { p: p, layer: polygon, bounds: polygon.getBounds(), sar: sars.indexOf(p.jurisdiction) >= 0 };
        self.contextShapes.push(shape);
        self.contextGroup.addLayer(polygon);
      });
    this.styleContext();
  };

  CooperationMap.prototype.styleContext = function () {
    // The jurisdictions chosen in the filter are tinted: they are what the filter matches.
    // SAR borders are the thickest lines, less so zoomed out, where Hong Kong's many
    // islands would otherwise merge into one dark patch.
    var chosen = this.filterSets.jurisdiction;
    var zoom = this.map.getZoom();
    var sarWeight = zoom >= 10 ? 3.2 : zoom >= 9 ? 2.4 : 1.8;
    (this.contextShapes || []).forEach(function (shape) {
      var p = shape.p;
      var district = p.level === "district";
      var picked = !district && chosen && chosen[p.jurisdiction] === true;
      shape.layer.setStyle({
        color: shape.sar ? "#22313f" : "#6b7a8f",
        weight: district ? 0.6 : shape.sar ? sarWeight : 1.2,
        dashArray: district ? "2 3" : null,
        fillColor: picked ? "#ffe9a8" : shape.sar ? "#eef2f6" : "#f4f1ea",
        fillOpacity: district ? 0 : picked ? 0.75 : 0.55,
      });
    });
  };

  CooperationMap.prototype.watchHover = function (group) {
    var self = this;
    group.on("mouseover", function () {
      self.overFeature = true;
      self.hideContextTip();
    });
    group.on("mouseout", function () {
      self.overFeature = false;
    });
  };

  CooperationMap.prototype.contextAt = function (latlng) {
    // The district (if any) and the jurisdiction under a point.
    var found = { district: null, jurisdiction: null };
    (this.contextShapes || []).forEach(function (shape) {
      var level = shape.p.level === "district" ? "district" : "jurisdiction";
      if (found[level] || !shape.bounds.contains(latlng)) return;
      if (pointInPolygonLatLngs(latlng, shape.layer.getLatLngs())) found[level] = shape.p;
    });
    return found;
  };

  CooperationMap.prototype.hoverContext = function (event) {
    var self = this;
    if (!this.contextShapes || this.overFeature) return;
    this.hoverAt = event.latlng;
    if (this.hoverFrame) return;
    this.hoverFrame = requestAnimationFrame(function () {
      self.hoverFrame = null;
      if (self.overFeature) return self.hideContextTip();
      var found = self.contextAt(self.hoverAt);
      if (!found.jurisdiction && !found.district) return self.hideContextTip();
      self.showContextTip(self.hoverAt, found);
    });
  };

  CooperationMap.prototype.contextNames = function (p) {
    // The name in the chosen language first, then the other forms that differ.
    var lang = this.config.lang;
    var first = p["name_" + lang] || p.name_en;
    var box = el("span", "gba-context-names");
    box.appendChild(el("strong", null, first));
    var shown = [first];
    this.config.langs.forEach(function (other) {
      var form = p["name_" + other];
      if (form && shown.indexOf(form) < 0) {
        shown.push(form);
        box.appendChild(el("span", "gba-context-other", form));
      }
    });
    return box;
  };

  CooperationMap.prototype.showContextTip = function (latlng, found) {
    var key = (found.district ? found.district.name_en : "") + "|" + (found.jurisdiction ? found.jurisdiction.name_en : "");
    if (!this.contextTip) {
      this.contextTip = L.tooltip({ className: "gba-context-tip", direction: "top", offset: [0, -10], opacity: 0.95 });
    }
    if (key !== this.contextTipKey) {
      var root = el("div", "gba-context");
      if (found.district) root.appendChild(this.contextNames(found.district));
      if (found.jurisdiction) root.appendChild(this.contextNames(found.jurisdiction));
      this.contextTip.setContent(root);
      this.contextTipKey = key;
    }
    this.contextTip.setLatLng(latlng);
    if (!this.map.hasLayer(this.contextTip)) this.contextTip.addTo(this.map);
  };

  CooperationMap.prototype.hideContextTip = function () {
    if (this.contextTip && this.map.hasLayer(this.contextTip)) this.map.removeLayer(this.contextTip);
  };

  // ---- text in the chosen language ----
  CooperationMap.prototype.name = function (p, prefix) {
    var key = (prefix || "name") + "_" + this.config.lang;
    return p[key] || p[(prefix || "name") + "_en"] || p.id;
  };

  CooperationMap.prototype.recordName = function (record) {
    var p = record.p;
    if (record.overlay === this.config.linkLayer) return this.name(p, "from_name") + " ↔ " + this.name(p, "to_name");
    return this.name(p);
  };

  CooperationMap.prototype.statusLabel = function (status) {
    return this.config.statuses[status] || status;
  };

  CooperationMap.prototype.categoryLabel = function (category) {
    return this.config.categories[category] || category;
  };

  CooperationMap.prototype.place = function (p) {
    var lang = this.config.lang;
    var suffix = lang === "en" ? "" : "_" + lang;
    var parts = [];
    if (p["district" + suffix] || p.district) parts.push(p["district" + suffix] || p.district);
    if (p["jurisdiction" + suffix] || p.jurisdiction) parts.push(p["jurisdiction" + suffix] || p.jurisdiction);
    return parts.join(lang === "en" ? ", " : "，");
  };

  CooperationMap.prototype.accessibleName = function (record) {
    // What a screen reader says for a record: "A ↔ B: type, status" for a link.
    var p = record.p;
    if (record.overlay === this.config.linkLayer) {
      return fill(this.text.link_label, {
        a: this.name(p, "from_name"),
        b: this.name(p, "to_name"),
        type: this.linkType(p).label,
        status: this.statusLabel(p.status),
      });
    }
    return fill(this.text.feature_label, {
      name: this.name(p),
      category: this.categoryLabel(p.category),
      status: this.statusLabel(p.status),
      place: this.place(p),
    });
  };

  CooperationMap.prototype.years = function (p) {
    var parts = [];
    if (isYear(p.year)) parts.push(this.text.year + " " + p.year);
    else parts.push(this.text.undated);
    if (isYear(p.target_year)) parts.push(this.config.targetYear + " " + p.target_year);
    return parts.join(" · ");
  };

  function addRow(list, label, value) {
    if (value === null || value === undefined || value === "") return;
    list.appendChild(el("dt", null, label));
    list.appendChild(el("dd", null, value));
  }

  CooperationMap.prototype.featurePopup = function (p, overlay) {
    var lang = this.config.lang;
    var root = el("div", "gba-popup");
    root.setAttribute("data-feature-id", p.id);
    root.appendChild(el("h3", "gba-name", this.name(p)));
    var shown = [this.name(p)];
    this.config.langs.forEach(function (other) {
      var form = p["name_" + other];
      if (other !== lang && form && shown.indexOf(form) < 0) {
        shown.push(form);
        root.appendChild(el("div", "gba-other-name", form));
      }
    });
    var facts = el("dl", "gba-facts");
    addRow(facts, this.text.category, this.categoryLabel(p.category));
    addRow(facts, this.text.place, this.place(p));
    addRow(facts, this.text.status, this.statusLabel(p.status));
    addRow(facts, this.text.year, this.years(p));
    root.appendChild(facts);
    this.appendFigures(root, p.figures);
    root.appendChild(el("p", "gba-description", this.name(p, "description")));
    this.appendPeople(root, p.people);
    this.appendSources(root, p.sources);
    this.appendPrecision(root, p);
    return root;
  };

  CooperationMap.prototype.linkSummary = function (p, type) {
    var root = el("div", "gba-link-summary");
    root.appendChild(el("strong", null, type.label));
    var ends = el("div", "gba-link-ends");
    ends.appendChild(el("span", null, this.name(p, "from_name")));
    ends.appendChild(el("span", "gba-link-arrow", p.directed ? " → " : " ↔ "));
    ends.appendChild(el("span", null, this.name(p, "to_name")));
    root.appendChild(ends);
    return root;
  };

  CooperationMap.prototype.linkPopup = function (p, type) {
    var text = this.text;
    var root = el("div", "gba-popup gba-popup-link");
    root.setAttribute("data-feature-id", p.id);
    root.appendChild(this.linkSummary(p, type));
    var facts = el("dl", "gba-facts");
    addRow(facts, text.status, this.statusLabel(p.status));
    addRow(facts, text.year, this.years(p));
    addRow(facts, text.length, typeof p.length_km === "number" ? p.length_km + " km" : null);
    addRow(facts, text.cross_border, p.cross_border ? text.yes : text.no);
    root.appendChild(facts);
    root.appendChild(el("p", "gba-description", this.name(p, "description")));
    this.appendSources(root, p.sources);
    this.appendPrecision(root, p);
    return root;
  };

  CooperationMap.prototype.appendFigures = function (root, figures) {
    if (!figures || !figures.length) return;
    var lang = this.config.lang;
    root.appendChild(el("h4", null, this.text.figures));
    var list = el("dl", "gba-facts gba-figures");
    figures.forEach(function (figure) {
      var value = String(figure.value) + (figure.unit ? " " + figure.unit : "");
      addRow(list, figure["label_" + lang] || figure.key, value);
    });
    root.appendChild(list);
  };

  CooperationMap.prototype.appendPeople = function (root, people) {
    if (!people || !people.length) return;
    var self = this;
    root.appendChild(el("h4", null, this.text.people));
    var list = el("ul", "gba-people");
    people.forEach(function (person) {
      var role = self.name(person, "role");
      list.appendChild(el("li", null, self.name(person) + (role ? " — " + role : "")));
    });
    root.appendChild(list);
  };

  CooperationMap.prototype.sourceItem = function (source) {
    var item = el("li");
    item.appendChild(el("cite", null, source.title));
    var where = [source.publisher, source.date].filter(Boolean).join(", ");
    if (where) item.appendChild(el("span", "gba-source-where", " — " + where));
    if (source.quote) item.appendChild(el("blockquote", "gba-quote", source.quote));
    return item;
  };

  CooperationMap.prototype.appendSources = function (root, sources) {
    if (!sources || !sources.length) return;
    var self = this;
    root.appendChild(el("h4", null, this.text.sources));
    var list = el("ol", "gba-sources");
    sources.forEach(function (source) {
      list.appendChild(self.sourceItem(source));
    });
    root.appendChild(list);
  };

  CooperationMap.prototype.appendPrecision = function (root, p) {
    var precision = this.config.precisions[p.coord_precision];
    var approximate = this.isApproximate(p);
    var line = el("p", "gba-precision" + (approximate ? " gba-approximate" : ""));
    line.appendChild(el("strong", null, this.text.position + ": "));
    line.appendChild(el("span", null, precision ? precision.label : p.coord_precision));
    root.appendChild(line);
    if (p.coord_source) root.appendChild(el("p", "gba-coord-source", p.coord_source));
  };

  // ---- legend ----
  CooperationMap.prototype.addLegend = function () {
    var self = this;
    var config = this.config;
    var Legend = L.Control.extend({
      options: { position: "bottomleft" },
      onAdd: function () {
        var box = el("details", "gba-legend leaflet-bar");
        // Open on the full page, unless the explore panel (whose filters show the same
        // colours) is open beside it and the map has little room.
        var panelOpen = self.explorer && !document.body.classList.contains("gba-explore-closed");
        if (!config.embed && !(panelOpen && self.map.getSize().y < 900)) box.open = true;
        box.appendChild(el("summary", null, self.text.legend));
        config.overlays.forEach(function (overlay) {
          if (overlay.kind === "link") return;
          var row = el("div", "gba-legend-row");
          var swatch = el("span", "gba-swatch gba-swatch-" + overlay.kind);
          swatch.style.setProperty("--gba-colour", overlay.colour);
          row.appendChild(swatch);
          row.appendChild(el("span", "gba-legend-label", overlay.label));
          var present = self.presentValues(overlay.name, "category").map(function (key) {
            return self.categoryLabel(key);
          });
          if (present.length) row.appendChild(el("div", "gba-legend-sub", present.join(" · ")));
          box.appendChild(row);
        });
        var linkTypes = self.presentValues(config.linkLayer, "link_type");
        if (linkTypes.length) {
          box.appendChild(el("div", "gba-legend-heading", self.linkLayerLabel()));
          var grid = el("div", "gba-legend-grid");
          linkTypes.forEach(function (key) {
            var type = self.linkType({ link_type: key });
            grid.appendChild(self.legendLine(type.colour, type.label, false));
          });
          box.appendChild(grid);
          box.appendChild(self.legendLine("#555555", self.text.planned, true));
          var directed = el("div", "gba-legend-row");
          directed.appendChild(el("span", "gba-legend-arrow", "➤"));
          directed.appendChild(el("span", "gba-legend-label", self.text.directed));
          box.appendChild(directed);
        }
        box.appendChild(self.legendMarker("", self.text.exact));
        box.appendChild(self.legendMarker(" gba-planned", self.text.planned_marker));
        box.appendChild(self.legendMarker(" gba-hollow", self.text.approximate));
        if (self.context) {
          box.appendChild(self.legendBorder("gba-legend-sar", self.text.sar_boundary));
          box.appendChild(self.legendBorder("gba-legend-city", self.text.city_boundary));
        }
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      },
    });
    this.legend = new Legend().addTo(this.map);
  };

  CooperationMap.prototype.linkLayerLabel = function () {
    var overlay = this.overlayByName[this.config.linkLayer];
    return overlay ? overlay.label : this.config.linkLayer;
  };

  CooperationMap.prototype.presentValues = function (overlayName, property) {
    var seen = {};
    this.records.forEach(function (record) {
      var value = record.p[property];
      if (record.overlay === overlayName && value) seen[value] = true;
    });
    return Object.keys(seen).sort();
  };

  CooperationMap.prototype.legendLine = function (colour, label, dashed) {
    var row = el("div", "gba-legend-row");
    var line = el("span", "gba-legend-line" + (dashed ? " gba-dashed" : ""));
    line.style.setProperty("--gba-colour", colour);
    row.appendChild(line);
    row.appendChild(el("span", "gba-legend-label", label));
    return row;
  };

  CooperationMap.prototype.legendMarker = function (modifier, label) {
    var row = el("div", "gba-legend-row");
    row.appendChild(el("span", "gba-swatch gba-swatch-point" + modifier));
    row.appendChild(el("span", "gba-legend-label", label));
    return row;
  };

  CooperationMap.prototype.legendBorder = function (className, label) {
    var row = el("div", "gba-legend-row");
    row.appendChild(el("span", "gba-legend-line " + className));
    row.appendChild(el("span", "gba-legend-label", label));
    return row;
  };

  CooperationMap.prototype.showError = function (overlay, error) {
    if (window.console) console.error("GBA map: cannot load", overlay.url, error);
    if (!this.errorBox) {
      var ErrorBox = L.Control.extend({
        options: { position: "topleft" },
        onAdd: function () {
          var box = el("div", "gba-error");
          box.setAttribute("role", "alert");
          return box;
        },
      });
      this.errorBox = new ErrorBox().addTo(this.map);
    }
    this.errorBox.getContainer().appendChild(el("div", null, this.text.load_error + ": " + overlay.label));
  };

  // ---- selection: a feature, its links and its partners; the rest dimmed ----
  CooperationMap.prototype.select = function (id, options) {
    // options: reveal (clear filters/year that hide it), move ("fly": bring it into view),
    // popup (default true), autoPan (default true).  Returns false when it cannot be shown.
    options = options || {};
    var record = this.index[id];
    if (!record) return false;
    clearTimeout(this.pendingClear);
    var revealed = false;
    if (!this.overlayVisible(record.overlay)) this.showGroup(record.overlay);
    if (!this.passes(record)) {
      if (!options.reveal) return false;
      this.state.filters = emptyFilters();
      this.state.year = null;
      this.compileFilters();
      revealed = true;
    }
    var wasOpen = record.layer.isPopupOpen();
    this.state.selected = id;
    this.refresh();
    var self = this;
    var openPopup = function () {
      if (options.popup !== false || wasOpen) self.openPopupFor(record, options.autoPan);
    };
    if (options.move === "fly") this.flyTo(record, openPopup);
    else openPopup();
    this.changed(revealed ? "shown" : "selection", { revealed: revealed ? record : null });
    return true;
  };

  CooperationMap.prototype.clearSelection = function () {
    clearTimeout(this.pendingClear);
    if (this.state.selected === null) return;
    var record = this.index[this.state.selected];
    this.state.selected = null;
    this.quiet += 1;
    try {
      if (record && record.layer.isPopupOpen()) record.layer.closePopup();
    } finally {
      this.quiet -= 1;
    }
    this.refresh();
    this.changed("selection");
  };

  CooperationMap.prototype.openPopupFor = function (record, autoPan) {
    if (!this.map.hasLayer(record.layer)) return;
    var popup = record.layer.getPopup();
    var pan = popup.options.autoPan;
    if (autoPan === false) popup.options.autoPan = false;
    this.quiet += 1;
    try {
      if (record.layer.isPopupOpen()) return;
      if (record.layer.getLatLng) record.layer.openPopup();
      else record.layer.openPopup(record.layer.getCenter());
    } finally {
      this.quiet -= 1;
      popup.options.autoPan = pan;
    }
  };

  CooperationMap.prototype.flyTo = function (record, then) {
    var map = this.map;
    var done = false;
    var finish = function () {
      if (done) return;
      done = true;
      then();
    };
    if (record.layer.getLatLng) {
      var at = record.layer.getLatLng();
      var zoom = Math.max(map.getZoom(), 13);
      if (map.getBounds().pad(-0.1).contains(at) && map.getZoom() >= zoom) return finish();
      map.once("moveend", finish);
      map.flyTo(at, zoom, { duration: 0.6 });
    } else {
      var bounds = record.layer.getBounds();
      map.once("moveend", finish);
      map.flyToBounds(bounds, { padding: [40, 40], maxZoom: 14, duration: 0.6 });
    }
    // A fly that goes nowhere never fires moveend.
    setTimeout(finish, 900);
  };

  CooperationMap.prototype.popupOpened = function (event) {
    if (this.quiet) return;
    var source = event.popup._source;
    var id = source && source.gbaId;
    if (!id) return;
    clearTimeout(this.pendingClear);
    if (id !== this.state.selected) this.select(id, { popup: true });
  };

  CooperationMap.prototype.popupClosed = function (event) {
    // Closing the popup (its button, a click on the map, Escape) ends the selection; when
    // another popup is opening, its popupopen comes next and selects that one instead.
    if (this.quiet) return;
    var source = event.popup._source;
    if (!source || source.gbaId !== this.state.selected) return;
    var self = this;
    clearTimeout(this.pendingClear);
    this.pendingClear = setTimeout(function () {
      self.clearSelection();
    }, 0);
  };

  CooperationMap.prototype.partnersOf = function (id) {
    // The selected feature's links that are shown by the filters and year, with the other end.
    var record = this.index[id];
    if (!record) return [];
    var self = this;
    if (record.overlay === this.config.linkLayer) {
      return [record.p.from_id, record.p.to_id].map(function (end) {
        return { link: record, partnerId: end, partner: self.index[end] || null, outgoing: end === record.p.to_id };
      });
    }
    return (this.linksByEnd[id] || [])
      .filter(function (link) {
        return link.passes;
      })
      .map(function (link) {
        var outgoing = link.p.from_id === id;
        var partnerId = outgoing ? link.p.to_id : link.p.from_id;
        return { link: link, partnerId: partnerId, partner: self.index[partnerId] || null, outgoing: outgoing };
      });
  };

  CooperationMap.prototype.partnerName = function (entry) {
    var p = entry.link.p;
    return this.name(p, entry.partnerId === p.to_id ? "to_name" : "from_name");
  };

  CooperationMap.prototype.pairCounts = function () {
    // Cross-border links that pass the filters and year, per unordered pair of jurisdictions.
    var order = this.config.jurisdictionOrder;
    var rank = function (j) {
      var i = order.indexOf(j);
      return i < 0 ? order.length : i;
    };
    var pairs = {};
    var linkLayer = this.config.linkLayer;
    this.records.forEach(function (record) {
      if (record.overlay !== linkLayer || !record.passes || record.p.cross_border !== true) return;
      var ends = [record.p.from_jurisdiction, record.p.to_jurisdiction].sort(function (a, b) {
        return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
      });
      var key = ends.join("|");
      if (!pairs[key]) pairs[key] = { key: key, a: ends[0], b: ends[1], count: 0 };
      pairs[key].count += 1;
    });
    return Object.keys(pairs)
      .map(function (key) {
        return pairs[key];
      })
      .sort(function (x, y) {
        return y.count - x.count || (x.key < y.key ? -1 : 1);
      });
  };

  // ---- focus: centre on one feature and select it ----
  CooperationMap.prototype.focus = function (id, zoom) {
    var record = this.index[id];
    if (!record) return false;
    var map = this.map;
    if (!this.overlayVisible(record.overlay)) this.showGroup(record.overlay);
    var hasZoom = zoom !== null && zoom !== undefined;
    if (record.layer.getLatLng) {
      map.setView(record.layer.getLatLng(), hasZoom ? zoom : 14, { animate: false });
    } else if (hasZoom) {
      map.setView(record.layer.getBounds().getCenter(), zoom, { animate: false });
    } else {
      map.fitBounds(record.layer.getBounds(), { maxZoom: 14, animate: false });
    }
    return this.select(id, { reveal: true });
  };

  // ---- state out: listeners, the page's URL, share panel, language links, download ----
  CooperationMap.prototype.onChange = function (listener) {
    this.listeners.push(listener);
  };

  CooperationMap.prototype.changed = function (kind, detail) {
    if (!this.loaded) return;
    var self = this;
    // The layer control redraws its labels (and drops their counts) whenever a layer,
    // even a basemap, is added or removed: fill them in after every change.
    this.updateCounts();
    this.listeners.forEach(function (listener) {
      listener(kind, detail || {});
    });
    this.updateShare();
    clearTimeout(this.urlTimer);
    this.urlTimer = setTimeout(function () {
      self.writeUrl();
    }, 120);
  };

  CooperationMap.prototype.updateCounts = function () {
    var counts = this.counts();
    var container = this.layerControl && this.layerControl.getContainer();
    if (!container) return;
    Array.prototype.forEach.call(container.querySelectorAll(".gba-layer-count"), function (span) {
      var name = span.getAttribute("data-layer");
      span.textContent = counts[name] === undefined ? "" : " (" + counts[name] + ")";
    });
  };

  CooperationMap.prototype.visibleOverlays = function () {
    var self = this;
    return this.config.overlays
      .filter(function (overlay) {
        return self.overlayVisible(overlay.name);
      })
      .map(function (overlay) {
        return overlay.name;
      });
  };

  CooperationMap.prototype.filterParams = function (query) {
    // The filters as the downloads and the pages spell them (comma = any of).
    var filters = this.state.filters;
    FILTER_KEYS.forEach(function (key) {
      if (filters[key].length) query.set(key, filters[key].join(","));
    });
    if (filters.cross_border !== null) query.set("cross_border", String(filters.cross_border));
    if (this.state.year !== null) query.set("year", String(this.state.year));
    return query;
  };

  CooperationMap.prototype.viewParams = function (kind, lang) {
    // The whole state.  kind "link": centre and zoom, exact on a screen like this one;
    // kind "embed": the bbox, so an iframe of any size shows the same area.
    var query = new URLSearchParams();
    query.set("lang", lang || this.config.urlLang);
    var visible = this.visibleOverlays();
    if (visible.length !== this.config.overlays.length) query.set("layers", visible.join(","));
    if (this.basemap !== this.config.defaultBasemap) query.set("basemap", this.basemap);
    if (!this.config.controls) query.set("controls", "0");
    this.filterParams(query);
    if (this.state.selected) query.set("select", this.state.selected);
    var zoom = this.map.getZoom();
    var toWgs =
      this.datum === "gcj02"
        ? gcj02ToWgs84
        : function (lon, lat) {
            return [lon, lat];
          };
    if (kind === "embed") {
      // Zoomed far out, the view runs past the poles and the antimeridian: clamp to the world.
      var bounds = this.map.getBounds();
      var sw = toWgs(Math.max(bounds.getWest(), -180), Math.max(bounds.getSouth(), -90));
      var ne = toWgs(Math.min(bounds.getEast(), 180), Math.min(bounds.getNorth(), 90));
      query.set(
        "bbox",
        [sw[0], sw[1], ne[0], ne[1]]
          .map(function (v) {
            return round(v, 5);
          })
          .join(",")
      );
    } else {
      var centre = this.map.getCenter().wrap();
      var c = toWgs(centre.lng, centre.lat);
      query.set("lat", String(round(c[1], 5)));
      query.set("lon", String(round(c[0], 5)));
      query.set("zoom", String(zoom));
    }
    return query;
  };

  CooperationMap.prototype.absolute = function (path, query) {
    return new URL(path + "?" + query.toString(), window.location.href).toString();
  };

  CooperationMap.prototype.writeUrl = function () {
    // The address bar carries the whole state, so reloading or copying it gives the same map.
    clearTimeout(this.urlTimer);
    if (!this.loaded || !window.history || !history.replaceState) return;
    var path = this.config.embed ? this.config.urls.embed : this.config.urls.page;
    var url = this.absolute(path, this.viewParams("link"));
    if (url !== window.location.href) history.replaceState(history.state, "", url);
  };

  CooperationMap.prototype.shareLinks = function () {
    var embedUrl = this.absolute(this.config.urls.embed, this.viewParams("embed"));
    return {
      link: this.absolute(this.config.urls.page, this.viewParams("link")),
      embed: embedUrl,
      iframe:
        '<iframe src="' +
        escapeHtml(embedUrl) +
        '" width="100%" height="480" style="border:0" loading="lazy" ' +
        'title="' +
        escapeHtml(this.text.title) +
        '" allowfullscreen></iframe>',
    };
  };

  CooperationMap.prototype.downloadUrl = function () {
    // One URL for what is shown: the visible layers, the filters and the year, as the
    // download API applies them (so the file holds exactly the records on the map).
    var visible = this.visibleOverlays();
    var urls = this.config.urls;
    if (!visible.length) return null;
    var query = this.filterParams(new URLSearchParams());
    var path;
    if (visible.length === 1) {
      path = urls.downloadLayer.replace(urls.layerPlaceholder, visible[0]);
    } else {
      path = urls.downloadAll;
      if (visible.length !== this.config.overlays.length) query.set("layers", visible.join(","));
    }
    var search = query.toString();
    return search ? path + "?" + search : path;
  };

  CooperationMap.prototype.updateShare = function () {
    var self = this;
    var links = this.shareLinks();
    var link = document.getElementById("gba-share-link");
    if (link) link.value = links.link;
    var iframe = document.getElementById("gba-share-iframe");
    if (iframe) iframe.value = links.iframe;
    var langLinks = document.querySelectorAll(".gba-langs a[data-lang]");
    Array.prototype.forEach.call(langLinks, function (anchor) {
      anchor.href = self.absolute(self.config.urls.page, self.viewParams("link", anchor.getAttribute("data-lang")));
    });
    var button = document.getElementById("gba-download");
    if (button) {
      var href = this.downloadUrl();
      button.setAttribute("aria-disabled", href ? "false" : "true");
      button.title = href ? "" : this.text.nothing_visible;
      button.href = href || "#";
    }
  };

  CooperationMap.prototype.wireShareControls = function () {
    var button = document.getElementById("gba-download");
    if (button) {
      button.addEventListener("click", function (event) {
        if (button.getAttribute("aria-disabled") === "true") event.preventDefault();
      });
    }
    Array.prototype.forEach.call(document.querySelectorAll("[data-copy]"), function (copyButton) {
      copyButton.addEventListener("click", function () {
        var field = document.getElementById(copyButton.getAttribute("data-copy"));
        field.select();
        if (navigator.clipboard) navigator.clipboard.writeText(field.value).catch(function () {});
      });
    });
  };

  window.GBAMap = {
    start: function (map, basemaps, config) {
      var instance = new CooperationMap(map, basemaps, config);
      window.GBAMap.instance = instance;
      instance.start();
      window.GBAMap.ready = instance.ready;
      return instance;
    },
    wgs84ToGcj02: wgs84ToGcj02,
    gcj02ToWgs84: gcj02ToWgs84,
    el: el,
    fill: fill,
    copyFilters: copyFilters,
    emptyFilters: emptyFilters,
    FILTER_KEYS: FILTER_KEYS,
  };
})();
