/* The share panel (link, iframe snippet), the language links, the Download menu and the
 * Copy buttons, all following the state.
 */

import { byId, el } from "./dom.js";
import { downloadSite, downloadUrl } from "./download-links.js";
import { absolute, embedScriptUrl, embedUrl, iframeSnippet, pageUrl, responsiveSnippet } from "./permalink.js";

const CONFIRM_MS = 2000; // how long a Copy button says "Copied"

/** The link to the view in ``lang``: a static export's file of that language (``urls.pageFor``,
 * set by js/exported.js; the path says the language), else this page with ?lang=. */
export function languageUrl(state, site, lang) {
  const url = new URL(pageUrl(state, site, { lang }));
  const file = site.urls.pageFor?.(lang, false, url.searchParams);
  return file ? absolute(file, url.searchParams, site.base) : url.toString();
}

/** embed.js: the file a static export names (``urls.embedScript``), else beside the embed page. */
export function embedScript(site) {
  return site.urls.embedScript
    ? absolute(site.urls.embedScript, new URLSearchParams(), site.base)
    : embedScriptUrl(site);
}

export function createShare({ store, i18n, config }) {
  const site = downloadSite(store.site, config);
  const downloads = [...document.querySelectorAll("a[data-download-format]")];
  const timers = new WeakMap();
  const status = el("span", "gba-visually-hidden");
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  status.setAttribute("data-copy-status", "");

  function update(state) {
    const link = byId("gba-share-link");
    if (link) link.value = pageUrl(state, site);
    const iframe = byId("gba-share-iframe");
    if (iframe) iframe.value = iframeSnippet(embedUrl(state, site), i18n.t("title"));
    const responsive = byId("gba-share-responsive");
    if (responsive) responsive.value = responsiveSnippet(embedUrl(state, site), i18n.t("title"), embedScript(site));
    for (const anchor of document.querySelectorAll(".gba-langs a[data-lang]")) {
      anchor.href = languageUrl(state, site, anchor.getAttribute("data-lang"));
    }
    for (const link of downloads) {
      const href = downloadUrl(state, site, link.getAttribute("data-download-format"));
      link.setAttribute("aria-disabled", href ? "false" : "true");
      link.title = href ? "" : i18n.t(state.layers.length ? "download_one_geometry" : "nothing_visible");
      link.href = href || "#";
    }
  }

  function confirmCopy(button) {
    const original = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", original);
    button.textContent = i18n.t("copied");
    button.setAttribute("data-copied", "true");
    status.textContent = "";
    status.textContent = i18n.t("copied");
    clearTimeout(timers.get(button));
    timers.set(
      button,
      setTimeout(() => {
        button.textContent = original;
        button.removeAttribute("data-copied");
        if (status.textContent === i18n.t("copied")) status.textContent = "";
      }, CONFIRM_MS),
    );
  }

  for (const link of downloads) {
    link.addEventListener("click", (event) => {
      if (link.getAttribute("aria-disabled") === "true") event.preventDefault();
    });
  }
  const copyButtons = document.querySelectorAll("[data-copy]");
  if (copyButtons.length) copyButtons[0].closest(".gba-share-panel, body").appendChild(status);
  for (const button of copyButtons) {
    button.addEventListener("click", () => {
      const field = byId(button.getAttribute("data-copy"));
      field.select();
      const copied = navigator.clipboard ? navigator.clipboard.writeText(field.value) : Promise.reject();
      // Confirmed either way: the field's text is selected for Ctrl+C where the clipboard is refused.
      copied.catch(() => document.execCommand?.("copy")).finally(() => confirmCopy(button));
    });
  }
  store.subscribe((state) => update(state));
  update(store.state);
  return { update: () => update(store.state) };
}
