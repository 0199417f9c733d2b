/* The page's theme (light, dark, or auto: the reader's system setting) and the basemap it
 * implies when the URL names none.  The colours are CSS (gba-map.css, the body's
 * gba-theme-<theme> class and a prefers-color-scheme query); here only the basemap.
 */

export const DARK_QUERY = "(prefers-color-scheme: dark)";

/** Whether the page is dark: ``theme`` dark, or auto on a dark system. */
export function isDark(theme, systemDark) {
  return theme === "dark" || (theme === "auto" && Boolean(systemDark));
}

/** The basemap the theme picks (the dark one on a dark page, else the default). */
export function themeBasemap(config, systemDark) {
  return isDark(config.theme, systemDark) && config.darkBasemap ? config.darkBasemap : config.defaultBasemap;
}

/**
 * The basemap a permalink may leave out: the one the theme would pick again on loading it.
 * With ``auto`` the pick depends on the reader's system, so a basemap the URL chose is kept
 * (null: never left out).
 */
export function impliedBasemap(config, systemDark) {
  if (config.theme === "auto" && config.basemapGiven) return null;
  return themeBasemap(config, systemDark);
}

export function systemPrefersDark(win = globalThis) {
  return Boolean(win.matchMedia?.(DARK_QUERY).matches);
}

/**
 * With ``auto``, follow the system: the body's gba-dark class (the CSS's dark colours) and,
 * with no basemap in the URL, the basemap, unless the reader chose another one meanwhile.
 */
export function followSystemTheme(store, config, win = globalThis) {
  if (config.theme !== "auto" || !win.matchMedia) return;
  const query = win.matchMedia(DARK_QUERY);
  const paint = (dark) => win.document?.body.classList.toggle("gba-dark", dark);
  paint(query.matches);
  query.addEventListener("change", (event) => {
    paint(event.matches);
    if (config.basemapGiven) return;
    const pick = themeBasemap(config, event.matches);
    const state = store.state;
    const patch = { themeBasemap: pick };
    if (state.basemap === state.themeBasemap) patch.basemap = pick;
    store.update(patch, { reason: "basemap", source: "theme" });
  });
}
