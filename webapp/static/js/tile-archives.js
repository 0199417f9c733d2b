/* Where the tiled layers' code and tiles come from: a vendored script loaded on demand, and, in
 * a static export, the PMTiles archive of each tiled layer (split from tiled.js, which draws them).
 */

import { tileUrl } from "./tiles.js";

const PMTILES = "../vendor/pmtiles/pmtiles.js"; // reads an archive by HTTP range requests
const ARCHIVE = "gba-archive:"; // the tile URLs of an archive's layer: answered by readArchives

export function loadScript(url, loaded) {
  if (loaded()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = url;
    script.onload = () => resolve();
    script.onerror = () => reject(new Error(`cannot load ${url}`));
    document.head.appendChild(script);
  });
}

/** The tile URL template of a layer read from its archive (``readArchives``). */
export const archiveTiles = (layer) => `${ARCHIVE}${encodeURIComponent(layer)}/{z}/{x}/{y}`;

/**
 * A static export has no tile server: each tiled layer is one PMTiles archive (``urls.tiles``
 * without ``{z}``), read with the vendored pmtiles library by range requests.  Leaflet.VectorGrid
 * fetches its tiles with the global ``fetch``: the archives' URLs (``archiveTiles``) are answered
 * from them, every other request goes through untouched.
 */
export async function readArchives(overlays, urls) {
  await loadScript(new URL(PMTILES, import.meta.url).href, () => globalThis.pmtiles);
  const archives = new Map(
    overlays.map((overlay) => [
      encodeURIComponent(overlay.name),
      new globalThis.pmtiles.PMTiles(new URL(tileUrl(urls, overlay.name, null, []), document.baseURI).href),
    ]),
  );
  const fetchUrl = window.fetch.bind(window);
  window.fetch = (input, init) => {
    if (typeof input !== "string" || !input.startsWith(ARCHIVE)) return fetchUrl(input, init);
    const [layer, z, x, y] = input.slice(ARCHIVE.length).split("/");
    const archive = archives.get(layer);
    if (!archive) return Promise.resolve(new Response(null, { status: 404 }));
    return archive
      .getZxy(Number(z), Number(x), Number(y))
      .then((tile) => new Response(tile ? tile.data : new ArrayBuffer(0)));
  };
}
