/* Tiles the server refused.  A tile the database could not make within the server's limit
 * (GBA_DATABASE_TIMEOUT; or a database that does not answer) is a 503, which Leaflet.VectorGrid
 * draws as a blank tile and says nothing: the map would look empty where it is not.  Here the
 * answers to tile requests are watched and one short line says so, with what to do.
 *
 * Loaded by tiled.js only (pages with a tiled layer); ``createRefusals`` and ``refusalNote`` are
 * pure (tests/js/tile-refusals.test.js).
 */

import { el } from "./dom.js";
import { L } from "./leaflet.js";

/** The status of a refused tile: the server's "try again, or ask for less". */
export const REFUSED = 503;

/** A tile's place, without the filters: asking again for the same place replaces its answer. */
const placeOf = (url) => String(url).split(/[?#]/, 1)[0];

/**
 * The refused tiles in view, one per place: ``asked(url)`` forgets the place's refusal (the tile
 * is asked again, e.g. with other filters), ``answered(url, status)`` notes it or forgets it,
 * ``clear()`` forgets all (a zoom: every tile in view is another).
 */
export function createRefusals() {
  const refused = new Set();
  return {
    asked(url) {
      refused.delete(placeOf(url));
    },
    answered(url, status) {
      if (status === REFUSED) refused.add(placeOf(url));
      else refused.delete(placeOf(url));
    },
    clear() {
      refused.clear();
    },
    get count() {
      return refused.size;
    },
  };
}

/** The note for ``count`` refused tiles: the page's words, or "" (no note) for none. */
export function refusalNote(count, i18n) {
  return count > 0 ? i18n.t("tiled.refused") : "";
}

/**
 * Watch the answers to the requests whose URL starts with ``prefix`` (the server's tiles; the
 * vector grid fetches them with the global ``fetch``) and keep a note on ``map`` while some in
 * view were refused.  The note is text (textContent), never HTML.
 */
export function watchRefusals(map, prefix, i18n) {
  const refusals = createRefusals();
  let box = null;
  function show() {
    const note = refusalNote(refusals.count, i18n);
    if (!box && !note) return;
    if (!box) {
      const Note = L.Control.extend({
        options: { position: "bottomleft" },
        onAdd: () => {
          const node = el("div", "gba-tile-note");
          node.setAttribute("role", "status");
          return node;
        },
      });
      box = new Note().addTo(map);
    }
    const node = box.getContainer();
    node.textContent = note;
    node.hidden = !note;
  }
  const fetchUrl = window.fetch.bind(window);
  window.fetch = (input, init) => {
    if (typeof input !== "string" || !input.startsWith(prefix)) return fetchUrl(input, init);
    refusals.asked(input);
    return fetchUrl(input, init).then((response) => {
      refusals.answered(input, response.status);
      show();
      return response;
    });
  };
  map.on("zoomstart", () => {
    refusals.clear();
    show();
  });
}
