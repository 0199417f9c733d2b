/* GBA Cooperation Map: draws the dataset on the Leaflet map that folium built.
 *
 * The page passes a JSON config (webapp/mapview.py: map_config); the layers are
 * fetched from /download/<layer>.geojson, the same files users download.  Every
 * string that comes from the data reaches the page through textContent or
 * setAttribute, never as HTML.
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

  // ---- small DOM helpers: text only ----
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

  function round(value, digits) {
    var f = Math.pow(10, digits);
    return Math.round(value * f) / f;
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
    this.groups = {};
    this.collections = {};
    this.index = {};
    this.openId = null;
    this.failed = [];
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
      var group =
        overlay.kind === "point"
          ? L.markerClusterGroup({
              maxClusterRadius: 36,
              showCoverageOnHover: false,
              spiderfyDistanceMultiplier: 1.6,
              iconCreateFunction: self.clusterIcon(overlay.colour),
            })
          : L.featureGroup();
      self.groups[overlay.name] = group;
      if (overlay.visible) group.addTo(map);
    });
    if (this.config.controls) this.addLayerControl();
    this.setInitialView();

    map.on("baselayerchange", function (event) {
      Object.keys(self.basemaps).forEach(function (key) {
        if (self.basemaps[key] === event.layer) self.basemap = key;
      });
      self.setDatum(self.config.basemaps[self.basemap].datum);
      self.updateShare();
    });
    map.on("overlayadd", function () {
      self.restack();
    });
    map.on("overlayadd overlayremove moveend", function () {
      self.updateShare();
    });
    map.on("popupclose", function () {
      self.openId = null;
      self.updateShare();
    });
    this.wireShareControls();
    this.ready = this.load();
    return this;
  };

  CooperationMap.prototype.addLayerControl = function () {
    var self = this;
    var bases = {};
    Object.keys(this.basemaps).forEach(function (key) {
      bases[escapeHtml(self.config.basemaps[key].label)] = self.basemaps[key];
    });
    var overlays = {};
    this.config.overlays.forEach(function (overlay) {
      var swatch = '<span class="gba-swatch gba-swatch-' + overlay.kind + '" style="--gba-colour:' + overlay.colour + '"></span>';
      overlays[swatch + escapeHtml(overlay.label)] = self.groups[overlay.name];
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
          return response.json();
        })
        .then(function (collection) {
          self.collections[overlay.name] = collection;
          self.draw(overlay);
          self.restack();
        })
        .catch(function (error) {
          self.failed.push(overlay.name);
          self.showError(overlay, error);
        });
    });
    if (this.config.urls.context) jobs.push(this.loadContext(this.config.urls.context));
    return Promise.all(jobs).then(function () {
      if (self.config.controls) self.addLegend();
      if (self.config.focus) self.focus(self.config.focus, self.config.focusZoom);
      self.updateShare();
      return { failed: self.failed.slice() };
    });
  };

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
      // Its own pane under the features, never in the way of the pointer.
      var pane = this.map.createPane("gba-context");
      pane.style.zIndex = 350;
      pane.style.pointerEvents = "none";
      this.contextRenderer = L.canvas({ pane: "gba-context", padding: 0.5 });
    }
    this.contextGroup.clearLayers();
    this.context.features.forEach(function (feature) {
      var geometry = feature.geometry;
      if (geometry.type !== "Polygon" && geometry.type !== "MultiPolygon") return;
      var district = feature.properties.level === "district";
      var depth = geometry.type === "Polygon" ? 2 : 3;
      var latlngs = self.ringsToLatLngs(geometry.coordinates, depth, feature.properties.jurisdiction);
      self.contextGroup.addLayer(
        L.polygon(latlngs, {
          renderer: self.contextRenderer,
          pane: "gba-context",
          interactive: false,
          color: "#6b7a8f",
          weight: district ? 0.6 : 1.2,
          dashArray: district ? "2 3" : null,
          fillColor: "#f4f1ea",
          fillOpacity: district ? 0 : 0.55,
        })
      );
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
    this.map.closePopup();
    var self = this;
    this.config.overlays.forEach(function (overlay) {
      if (self.collections[overlay.name]) self.draw(overlay);
    });
    this.restack();
    if (this.context) this.drawContext();
  };

  // ---- drawing ----
  CooperationMap.prototype.isApproximate = function (p) {
    var precision = this.config.precisions[p.coord_precision];
    return precision ? precision.approximate : Boolean(p.approximate);
  };

  CooperationMap.prototype.draw = function (overlay) {
    var self = this;
    var group = this.groups[overlay.name];
    group.clearLayers();
    var layers = [];
    this.collections[overlay.name].features.forEach(function (feature) {
      var made = self.makeLayers(overlay, feature);
      if (!made.length) return;
      var id = feature.properties.id;
      made[0].on("popupopen", function () {
        self.openId = id;
        self.updateShare();
      });
      self.index[id] = { overlay: overlay.name, layer: made[0] };
      layers = layers.concat(made);
    });
    if (group.addLayers) group.addLayers(layers);
    else
      layers.forEach(function (layer) {
        group.addLayer(layer);
      });
  };

  CooperationMap.prototype.restack = function () {
    // The canvas draws in the order layers were added; put kinds back in STACK order.
    var self = this;
    STACK.forEach(function (kind) {
      self.config.overlays.forEach(function (overlay) {
        var group = self.groups[overlay.name];
        if (overlay.kind !== kind || !self.map.hasLayer(group)) return;
        group.eachLayer(function (layer) {
          if (layer.bringToFront && self.map.hasLayer(layer)) layer.bringToFront();
        });
      });
    });
  };

  CooperationMap.prototype.makeLayers = function (overlay, feature) {
    var self = this;
    var p = feature.properties;
    var geometry = feature.geometry;
    var approximate = this.isApproximate(p);
    var layer;
    if (overlay.kind === "point" && geometry.type === "Point") {
      layer = L.circleMarker(this.toLatLng(geometry.coordinates, p.jurisdiction), {
        radius: 7,
        color: overlay.colour,
        weight: approximate ? 2 : 1.5,
        fillColor: approximate ? "#ffffff" : overlay.colour,
        fillOpacity: 0.9,
        dashArray: approximate ? "3 2" : null,
      });
    } else if (overlay.kind === "polygon" && (geometry.type === "Polygon" || geometry.type === "MultiPolygon")) {
      var depth = geometry.type === "Polygon" ? 2 : 3;
      layer = L.polygon(this.ringsToLatLngs(geometry.coordinates, depth, p.jurisdiction), {
        color: overlay.colour,
        weight: 2,
        fillColor: overlay.colour,
        fillOpacity: 0.15,
        dashArray: approximate ? "6 4" : null,
      });
    } else if (overlay.kind === "link" && geometry.type === "LineString") {
      return this.makeLink(feature);
    } else {
      return [];
    }
    layer.bindTooltip(function () {
      return el("span", null, self.name(p));
    });
    layer.bindPopup(function () {
      return self.featurePopup(p, overlay);
    }, { maxWidth: 340 });
    return [layer];
  };

  CooperationMap.prototype.makeLink = function (feature) {
    var self = this;
    var p = feature.properties;
    var type = this.config.linkTypes[p.link_type] || { label: p.link_type, colour: "#555555" };
    var latlngs = this.linkLatLngs(feature.geometry.coordinates, p);
    var line = L.polyline(latlngs, {
      color: type.colour,
      weight: 3,
      opacity: 0.85,
      dashArray: this.config.dashedStatuses.indexOf(p.status) >= 0 ? "8 6" : null,
    });
    line.bindTooltip(
      function () {
        return self.linkSummary(p, type);
      },
      { sticky: true }
    );
    line.bindPopup(function () {
      return self.linkPopup(p, type);
    }, { maxWidth: 340 });
    var made = [line];
    if (p.directed && latlngs.length > 1) made.push(this.arrowMarker(latlngs, type.colour));
    return made;
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

  // ---- text in the chosen language ----
  CooperationMap.prototype.name = function (p, prefix) {
    var key = (prefix || "name") + "_" + this.config.lang;
    return p[key] || p[(prefix || "name") + "_en"] || p.id;
  };

  CooperationMap.prototype.place = function (p) {
    var lang = this.config.lang;
    var suffix = lang === "en" ? "" : "_" + lang;
    var parts = [];
    if (p["district" + suffix] || p.district) parts.push(p["district" + suffix] || p.district);
    if (p["jurisdiction" + suffix] || p.jurisdiction) parts.push(p["jurisdiction" + suffix] || p.jurisdiction);
    return parts.join(lang === "en" ? ", " : "，");
  };

  CooperationMap.prototype.years = function (p) {
    var parts = [];
    if (p.year !== null && p.year !== undefined) parts.push(this.text.year + " " + p.year);
    if (p.target_year !== null && p.target_year !== undefined) parts.push(this.config.targetYear + " " + p.target_year);
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
    addRow(facts, this.text.category, this.config.categories[p.category] || p.category);
    addRow(facts, this.text.place, this.place(p));
    addRow(facts, this.text.status, this.config.statuses[p.status] || p.status);
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
    addRow(facts, text.status, this.config.statuses[p.status] || p.status);
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

  CooperationMap.prototype.appendSources = function (root, sources) {
    if (!sources || !sources.length) return;
    root.appendChild(el("h4", null, this.text.sources));
    var list = el("ol", "gba-sources");
    sources.forEach(function (source) {
      var item = el("li");
      item.appendChild(el("cite", null, source.title));
      var where = [source.publisher, source.date].filter(Boolean).join(", ");
      if (where) item.appendChild(el("span", "gba-source-where", " — " + where));
      if (source.quote) item.appendChild(el("blockquote", "gba-quote", source.quote));
      list.appendChild(item);
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
        if (!config.embed) box.open = true;
        box.appendChild(el("summary", null, self.text.legend));
        config.overlays.forEach(function (overlay) {
          if (overlay.kind === "link") return;
          var row = el("div", "gba-legend-row");
          var swatch = el("span", "gba-swatch gba-swatch-" + overlay.kind);
          swatch.style.setProperty("--gba-colour", overlay.colour);
          row.appendChild(swatch);
          row.appendChild(el("span", "gba-legend-label", overlay.label));
          var present = self.presentValues(overlay.name, "category").map(function (key) {
            return config.categories[key] || key;
          });
          if (present.length) row.appendChild(el("div", "gba-legend-sub", present.join(" · ")));
          box.appendChild(row);
        });
        var linkTypes = self.presentValues(config.linkLayer, "link_type");
        if (linkTypes.length) {
          box.appendChild(el("div", "gba-legend-heading", self.linkLayerLabel()));
          var grid = el("div", "gba-legend-grid");
          linkTypes.forEach(function (key) {
            var type = config.linkTypes[key] || { label: key, colour: "#555555" };
            grid.appendChild(self.legendLine(type.colour, type.label, false));
          });
          box.appendChild(grid);
          box.appendChild(self.legendLine("#555555", self.text.planned, true));
          var directed = el("div", "gba-legend-row");
          directed.appendChild(el("span", "gba-legend-arrow", "➤"));
          directed.appendChild(el("span", "gba-legend-label", self.text.directed));
          box.appendChild(directed);
        }
        box.appendChild(self.legendMarker(false, self.text.exact));
        box.appendChild(self.legendMarker(true, self.text.approximate));
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      },
    });
    this.legend = new Legend().addTo(this.map);
  };

  CooperationMap.prototype.linkLayerLabel = function () {
    var name = this.config.linkLayer;
    var overlay = this.config.overlays.filter(function (o) {
      return o.name === name;
    })[0];
    return overlay ? overlay.label : name;
  };

  CooperationMap.prototype.presentValues = function (overlayName, property) {
    var collection = this.collections[overlayName];
    if (!collection) return [];
    var seen = [];
    collection.features.forEach(function (feature) {
      var value = feature.properties[property];
      if (value && seen.indexOf(value) < 0) seen.push(value);
    });
    return seen.sort();
  };

  CooperationMap.prototype.legendLine = function (colour, label, dashed) {
    var row = el("div", "gba-legend-row");
    var line = el("span", "gba-legend-line" + (dashed ? " gba-dashed" : ""));
    line.style.setProperty("--gba-colour", colour);
    row.appendChild(line);
    row.appendChild(el("span", "gba-legend-label", label));
    return row;
  };

  CooperationMap.prototype.legendMarker = function (approximate, label) {
    var row = el("div", "gba-legend-row");
    row.appendChild(el("span", "gba-swatch gba-swatch-point" + (approximate ? " gba-hollow" : "")));
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

  // ---- focus: centre on one feature and open its popup ----
  CooperationMap.prototype.focus = function (id, zoom) {
    var entry = this.index[id];
    if (!entry) return false;
    var layer = entry.layer;
    var group = this.groups[entry.overlay];
    var map = this.map;
    if (!map.hasLayer(group)) map.addLayer(group);
    if (layer.getLatLng) {
      map.setView(layer.getLatLng(), zoom === null || zoom === undefined ? 14 : zoom, { animate: false });
      // A marker still inside a cluster (or stacked on another) is zoomed to or spiderfied first.
      if (map.hasLayer(layer) || !group.zoomToShowLayer) {
        layer.openPopup();
      } else {
        group.zoomToShowLayer(layer, function () {
          layer.openPopup();
        });
      }
    } else {
      if (zoom === null || zoom === undefined) map.fitBounds(layer.getBounds(), { maxZoom: 14, animate: false });
      else map.setView(layer.getBounds().getCenter(), zoom, { animate: false });
      layer.openPopup(layer.getCenter());
    }
    return true;
  };

  // ---- share panel, language links and download button ----
  CooperationMap.prototype.visibleOverlays = function () {
    var self = this;
    return this.config.overlays
      .filter(function (overlay) {
        return self.map.hasLayer(self.groups[overlay.name]);
      })
      .map(function (overlay) {
        return overlay.name;
      });
  };

  CooperationMap.prototype.viewParams = function (kind, lang) {
    // kind "link": centre and zoom, exact on a screen like this one; kind "embed":
    // the bbox, so an iframe of any size shows the same area.
    var query = new URLSearchParams();
    query.set("lang", lang || this.config.urlLang);
    var visible = this.visibleOverlays();
    if (visible.length !== this.config.overlays.length) query.set("layers", visible.join(","));
    if (this.basemap !== this.config.defaultBasemap) query.set("basemap", this.basemap);
    if (!this.config.controls) query.set("controls", "0");
    var zoom = this.map.getZoom();
    if (this.openId) {
      query.set("focus", this.openId);
      query.set("zoom", String(zoom));
      return query;
    }
    var toWgs = this.datum === "gcj02" ? gcj02ToWgs84 : function (lon, lat) {
      return [lon, lat];
    };
    if (kind === "embed") {
      // Zoomed far out, the view runs past the poles and the antimeridian: clamp to the world.
      var bounds = this.map.getBounds();
      var sw = toWgs(Math.max(bounds.getWest(), -180), Math.max(bounds.getSouth(), -90));
      var ne = toWgs(Math.min(bounds.getEast(), 180), Math.min(bounds.getNorth(), 90));
      query.set("bbox", [sw[0], sw[1], ne[0], ne[1]].map(function (v) {
        return round(v, 5);
      }).join(","));
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

  CooperationMap.prototype.shareLinks = function () {
    var embedUrl = this.absolute(this.config.urls.embed, this.viewParams("embed"));
    return {
      link: this.absolute(this.config.urls.page, this.viewParams("link")),
      iframe:
        '<iframe src="' + escapeHtml(embedUrl) + '" width="100%" height="480" style="border:0" loading="lazy" ' +
        'title="' + escapeHtml(this.text.title) + '" allowfullscreen></iframe>',
    };
  };

  CooperationMap.prototype.downloadTarget = function () {
    // One URL when the API can express the selection; otherwise the same features,
    // already fetched from those URLs, assembled in the browser.
    var visible = this.visibleOverlays();
    var urls = this.config.urls;
    if (!visible.length) return null;
    if (visible.length === this.config.overlays.length) return { href: urls.downloadAll };
    if (visible.length === 1) return { href: urls.downloadLayer.replace(urls.layerPlaceholder, visible[0]) };
    return { names: visible };
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
      var target = this.downloadTarget();
      button.setAttribute("aria-disabled", target ? "false" : "true");
      button.title = target ? "" : this.text.nothing_visible;
      button.href = target && target.href ? target.href : "#";
      button.setAttribute("download", target && target.href ? "" : "gba-cooperation-map.geojson");
      this.downloadSelection = target;
    }
  };

  CooperationMap.prototype.wireShareControls = function () {
    var self = this;
    var button = document.getElementById("gba-download");
    if (button) {
      button.addEventListener("click", function (event) {
        var target = self.downloadSelection;
        if (target && target.href) return; // the browser follows the link
        event.preventDefault();
        if (target) self.downloadAssembled(target.names);
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

  CooperationMap.prototype.downloadAssembled = function (names) {
    var self = this;
    var features = [];
    names.forEach(function (name) {
      if (self.collections[name]) features = features.concat(self.collections[name].features);
    });
    var blob = new Blob([JSON.stringify({ type: "FeatureCollection", features: features })], {
      type: "application/geo+json",
    });
    var anchor = el("a");
    anchor.href = URL.createObjectURL(blob);
    anchor.download = "gba-cooperation-" + names.join("+") + ".geojson";
    document.body.appendChild(anchor);
    anchor.click();
    anchor.remove();
    setTimeout(function () {
      URL.revokeObjectURL(anchor.href);
    }, 10000);
  };

  window.GBAMap = {
    start: function (map, basemaps, config) {
      var instance = new CooperationMap(map, basemaps, config).start();
      window.GBAMap.instance = instance;
      window.GBAMap.ready = instance.ready;
      return instance;
    },
    wgs84ToGcj02: wgs84ToGcj02,
    gcj02ToWgs84: gcj02ToWgs84,
  };
})();
