/* The "place the record" dialog: a small Leaflet map (the app's own Leaflet and basemaps) on
 * which the editor clicks the record's position.  The click is sent as the map gives it, with
 * the basemap's name; the server converts a click on a GCJ-02 basemap (Gaode) to WGS-84. */

const L = globalThis.L;

export function createPlacer(config, vocab) {
  const dialog = document.getElementById("review-place");
  const container = document.getElementById("review-place-map");
  const basemapSelect = document.getElementById("review-basemap");
  const precisionSelect = document.getElementById("review-precision");
  const picked = document.getElementById("review-place-picked");
  const save = document.getElementById("review-place-save");
  const basemaps = new Map(config.basemaps);
  let map = null;
  let tiles = null;
  let marker = null;
  let clicked = null;
  let resolveChoice = null;

  for (const [name, basemap] of basemaps) basemapSelect.append(new Option(`${basemap.label} (${basemap.datum})`, name));
  for (const [name, label] of vocab.precisions) precisionSelect.append(new Option(label, name));
  basemapSelect.value = config.default_basemap;
  precisionSelect.value = vocab.precisions.has("building") ? "building" : precisionSelect.value;

  function showBasemap(name) {
    const basemap = basemaps.get(name);
    tiles?.remove();
    tiles = L.tileLayer(basemap.tiles, {
      subdomains: basemap.subdomains,
      maxZoom: basemap.max_zoom,
      attribution: basemap.attribution,
    }).addTo(map);
    container.dataset.basemap = name;
    container.dataset.datum = basemap.datum;
    // A position read on one basemap means another place on the other datum: pick again.
    forget();
  }

  function forget() {
    clicked = null;
    marker?.remove();
    marker = null;
    save.disabled = true;
    picked.textContent = "No position yet: click the map.";
  }

  function ensureMap() {
    if (map) return;
    map = L.map(container, { zoomControl: true, attributionControl: true });
    map.fitBounds(config.bounds);
    map.on("click", (event) => {
      const { lat, lng } = event.latlng;
      clicked = { lat, lng, basemap: basemapSelect.value };
      marker = marker ? marker.setLatLng(event.latlng) : L.marker(event.latlng, { keyboard: false }).addTo(map);
      save.disabled = false;
      const datum = basemaps.get(clicked.basemap).datum;
      picked.textContent = `Picked ${lat.toFixed(6)}, ${lng.toFixed(6)} on ${clicked.basemap} (${datum}).`;
    });
    basemapSelect.addEventListener("change", () => showBasemap(basemapSelect.value));
    showBasemap(basemapSelect.value);
  }

  function finish(choice) {
    dialog.close();
    const done = resolveChoice;
    resolveChoice = null;
    done?.(choice);
  }

  save.addEventListener("click", () => {
    if (clicked) finish({ ...clicked, precision: precisionSelect.value });
  });
  document.getElementById("review-place-cancel").addEventListener("click", () => finish(null));
  dialog.addEventListener("cancel", () => finish(null));

  /** Open the dialog for `title`; resolves to {lat, lng, basemap, precision} or null (cancelled). */
  function pick(title) {
    document.getElementById("review-place-title").textContent = `Place ${title}`;
    dialog.showModal();
    ensureMap();
    map.invalidateSize();
    forget();
    return new Promise((resolve) => {
      resolveChoice = resolve;
    });
  }

  return { pick };
}
