/* A static export's pages (webapp/static_export.py puts this module before main.js, so it runs
 * after the boot script and before the map starts): with no server to read the address, the
 * page reads it here, with the store's grammar.
 *
 * - The map opens where the address says (lat, lon, zoom or bbox): the config's view.
 * - A page has one language: an address with another ``lang`` (an app URL, an old permalink)
 *   opens that language's file, with the rest of its query; the header's language links
 *   (share.js ``languageUrl``) name the file of their language (``urls.pageFor``).
 * The page's own links keep ``lang`` (the page's), so the embed's first load has no byte of this.
 */

import { readQuery } from "./store.js";

/** The file of ``lang``'s page (the embed's on an embed), with the query less ``lang``; null: stay. */
export function otherLanguagePage(config, lang, href) {
  if (!lang || lang === config.urlLang) return null;
  const row = config.urls.langPages.find(([tag]) => tag === lang);
  if (!row) return null;
  const url = new URL(config.embed ? row[2] : row[1], href);
  const query = new URL(href).searchParams;
  query.delete("lang");
  url.search = query.toString();
  return url.toString();
}

/** ``urls.pageFor(lang, embed, query)``: the file of ``lang``'s page (or embed) from the config's
 * [lang, page, embed] rows, ``lang`` taken out of ``query`` (the path says it); null for no such file. */
export function pageFinder(langPages) {
  const pages = new Map(langPages.map(([lang, page, embed]) => [lang, [page, embed]]));
  return (lang, embed, query) => {
    const found = pages.get(lang);
    if (!found) return null;
    query.delete("lang");
    return found[embed ? 1 : 0];
  };
}

/** Where the map opens: the address's centre and zoom, or its bbox, else the config's view. */
export function startView(config, query) {
  if (query.lat !== undefined && query.lon !== undefined) return { center: [query.lat, query.lon], zoom: query.zoom };
  if (query.bbox) {
    const [minLon, minLat, maxLon, maxLat] = query.bbox;
    return {
      bounds: [
        [minLat, minLon],
        [maxLat, maxLon],
      ],
    };
  }
  return config.view;
}

const boot = globalThis.window?.GBA_BOOT;
if (boot?.config.urls.exported) {
  const { config } = boot;
  const query = readQuery(location.search, { queryables: config.queryables || [], params: config.params || [] });
  const elsewhere = otherLanguagePage(config, query.lang, location.href);
  if (elsewhere) {
    window.GBA_LEAVING = true; // main.js starts nothing on a page being left
    window.GBA_BOOT = undefined;
    location.replace(elsewhere);
  } else {
    config.view = startView(config, query);
    config.urls.pageFor = pageFinder(config.urls.langPages);
  }
}
