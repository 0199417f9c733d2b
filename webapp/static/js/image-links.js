/* The static image of the current view: the Download image links (PNG, SVG) and the print
 * image follow the state.  The server renders each link with the page's view and the image's
 * path and size (templates/_image_button.html, _noscript.html); here only the state part of
 * the query changes, built by permalink.js as the embed's (a bbox: the same area at any size).
 */

import { pageUrl, viewParams } from "./permalink.js";

const SIZE_PARAMS = ["width", "height"];

/** ``href`` (path and size kept) with the query of ``state``; relative hrefs stay relative. */
export function imageHref(href, state, site) {
  const [path, search = ""] = href.split("?");
  const kept = new URLSearchParams(search);
  const query = viewParams(state, site, "embed");
  for (const name of SIZE_PARAMS) if (kept.has(name)) query.set(name, kept.get(name));
  return `${path}?${query.toString()}`;
}

export function createImageLinks({ store }) {
  const site = store.site;
  const targets = [
    ...[...document.querySelectorAll(".gba-image-link")].map((link) => ({ node: link, attribute: "href" })),
    ...[...document.querySelectorAll("#gba-print-image")].map((image) => ({ node: image, attribute: "src" })),
  ];
  if (!targets.length) return null;
  const printLink = document.getElementById("gba-print-link");

  function update(state) {
    // A static export has the images of the default view only: its links stay as written.
    for (const { node, attribute } of site.urls.exported ? [] : targets) {
      const next = imageHref(node.getAttribute(attribute), state, site);
      if (next !== node.getAttribute(attribute)) node.setAttribute(attribute, next);
    }
    if (printLink) printLink.textContent = pageUrl(state, site);
  }

  store.subscribe((state) => update(state));
  update(store.state);
  return { update: () => update(store.state) };
}
