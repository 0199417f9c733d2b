/* Panels that must open in view and close by touch.
 *
 * Below NARROW the explore panel, the share panel, the legend and the layer list are bottom
 * sheets (gba-map.css): only one is open at a time, and all of them close when a popup
 * opens, so the popup has the map to itself.  At any width, the top bar's panels (share,
 * image) are moved sideways when they would open past an edge of the window.
 */

export const NARROW = "(max-width: 600px)";

const EDGE = 8; // px kept between a panel and the window's edge

export function isNarrow() {
  return window.matchMedia(NARROW).matches;
}

/** Touch screens and narrow windows: focusing a text field there pops up a keyboard. */
export function isTouchFirst() {
  return isNarrow() || window.matchMedia("(pointer: coarse)").matches;
}

/** Shift ``panel`` (a positioned box) sideways into the window; the shift is a CSS variable. */
export function keepInWindow(panel) {
  panel.style.removeProperty("--gba-shift-x");
  const box = panel.getBoundingClientRect();
  let shift = 0;
  if (box.right > window.innerWidth - EDGE) shift = window.innerWidth - EDGE - box.right;
  if (box.left + shift < EDGE) shift = EDGE - box.left;
  if (shift) panel.style.setProperty("--gba-shift-x", `${Math.round(shift)}px`);
}

/**
 * The set of panels.  ``add(name, {isOpen, close})`` registers one; ``opened(name)`` is
 * called by a panel that has just opened (on narrow screens the others close).
 */
export function createSheets(map) {
  const panels = new Map();

  function closeAll(except) {
    for (const [name, panel] of panels) {
      if (name !== except && panel.isOpen()) panel.close();
    }
  }

  map.on("popupopen", () => {
    if (isNarrow()) closeAll(null);
  });

  const sheets = {
    add(name, panel) {
      panels.set(name, panel);
    },
    opened(name) {
      if (isNarrow()) closeAll(name);
      map.fire("gbapanelopen", { name }); // popup-fit.js moves an open popup out of its way
    },
    /** The top bar's <details> panels (share, image download; their markup is in the
     * templates): one open at a time on narrow screens, each moved into the window. */
    watchTopbar(topbar) {
      for (const details of topbar?.querySelectorAll("details") || []) {
        const panel = details.querySelector(".gba-share-panel");
        if (!panel) continue;
        const name = details.id || `details-${panels.size}`;
        sheets.add(name, { isOpen: () => details.open, close: () => details.removeAttribute("open") });
        details.addEventListener("toggle", () => {
          if (!details.open) return;
          sheets.opened(name);
          keepInWindow(panel);
        });
        window.addEventListener("resize", () => {
          if (details.open) keepInWindow(panel);
        });
      }
    },
  };
  return sheets;
}
