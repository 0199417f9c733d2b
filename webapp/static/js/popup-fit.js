/* Popups are never covered by a control nor cut by the map's (or the frame's) edge.
 *
 * When a popup opens, the map pans so that the whole popup (with its tip) lies inside the
 * visible part of the map and clear of every Leaflet control present at that moment (zoom,
 * layers, legend, ☰, and any control added later: fullscreen, scale...) and of the panels
 * open over the map, taking the smallest move that does it; again when the map is resized
 * or a panel opens ("gbapanelopen", fired by sheet.js).  Before that, the popup's height is capped to the room the map has,
 * so a solution exists.  A popup opened with ``autoPan: false`` stays where it is.
 * placePopup() is pure: it takes boxes and returns the move.
 */

// Controls (any, also those added later: fullscreen, scale...) and the panels that open over
// the map: the layer list, the legend, the explore sheet, the top bar's panels.
const OVER_MAP = ".leaflet-control, .leaflet-control-layers-list, .gba-legend-body, .gba-explore, .gba-share-panel";
const MARGIN = 8; // px between a popup and a control or an edge
const CHROME = 64; // px of a popup's height that are not its content: padding, close button, tip
const SIDES = 70; // px of a popup's width that are not its content (content margins, border)
const WIDEST = 300; // px: Leaflet's default maxWidth

function overlaps(a, b) {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

function moved(box, dx, dy) {
  return { left: box.left + dx, right: box.right + dx, top: box.top + dy, bottom: box.bottom + dy };
}

/**
 * The smallest move [dx, dy] of ``popup`` that puts it inside ``area`` and off every box in
 * ``obstacles`` (each grown by ``margin``); null when there is none.  Boxes are
 * {left, top, right, bottom} in one coordinate system.
 */
export function placePopup(popup, area, obstacles, margin = MARGIN) {
  const grown = obstacles.map((o) => ({
    left: o.left - margin,
    right: o.right + margin,
    top: o.top - margin,
    bottom: o.bottom + margin,
  }));
  const width = popup.right - popup.left;
  const height = popup.bottom - popup.top;
  const xs = [popup.left, area.left + margin, area.right - margin - width];
  const ys = [popup.top, area.top + margin, area.bottom - margin - height];
  for (const o of grown) {
    xs.push(o.right, o.left - width);
    ys.push(o.bottom, o.top - height);
  }
  const inside = (x, y) =>
    x >= area.left + margin - 0.5 &&
    x + width <= area.right - margin + 0.5 &&
    y >= area.top + margin - 0.5 &&
    y + height <= area.bottom - margin + 0.5;
  let best = null;
  for (const x of xs) {
    for (const y of ys) {
      if (!inside(x, y)) continue;
      const dx = x - popup.left;
      const dy = y - popup.top;
      const cost = Math.abs(dx) + Math.abs(dy);
      if (best && cost >= best.cost) continue;
      const box = moved(popup, dx, dy);
      if (grown.some((o) => overlaps(box, o))) continue;
      best = { cost, dx, dy };
    }
  }
  return best && [best.dx, best.dy];
}

/** The room for a popup's content: the map's height, less the rows of controls when the
 * popup is too wide to pass between the columns of controls. */
export function popupRoom(popupWidth, area, obstacles, margin = MARGIN) {
  const middle = (area.left + area.right) / 2;
  const centre = (area.top + area.bottom) / 2;
  let left = area.left;
  let right = area.right;
  let top = area.top;
  let bottom = area.bottom;
  for (const o of obstacles) {
    if (o.right <= middle) left = Math.max(left, o.right);
    else if (o.left >= middle) right = Math.min(right, o.left);
    if (o.bottom <= centre) top = Math.max(top, o.bottom);
    else if (o.top >= centre) bottom = Math.min(bottom, o.top);
  }
  const betweenColumns = right - left - 2 * margin >= popupWidth;
  const height = betweenColumns ? area.bottom - area.top : bottom - top;
  return Math.max(120, Math.floor(height - 2 * margin - CHROME));
}

/** Rendered and visible (a closed <details> keeps a box for its hidden content). */
function shown(element) {
  if (typeof element.checkVisibility === "function") return element.checkVisibility({ visibilityProperty: true });
  return element.getClientRects().length > 0;
}

function box(rect) {
  return { left: rect.left, top: rect.top, right: rect.right, bottom: rect.bottom };
}

export function fitPopups(map) {
  const container = map.getContainer();

  /** The map's visible part: its box cut by the window (a page may scroll, a frame may clip). */
  function visibleArea() {
    const rect = container.getBoundingClientRect();
    return {
      left: Math.max(rect.left, 0),
      top: Math.max(rect.top, 0),
      right: Math.min(rect.right, window.innerWidth),
      bottom: Math.min(rect.bottom, window.innerHeight),
    };
  }

  /** Everything over the map that is shown now: the controls, and the panels that open over it. */
  function obstacleBoxes(area) {
    const boxes = [];
    for (const element of document.querySelectorAll(OVER_MAP)) {
      if (!shown(element)) continue;
      const rect = box(element.getBoundingClientRect());
      if (overlaps(rect, area)) boxes.push(rect);
    }
    return boxes;
  }

  /** The popup's box with its tip (Leaflet keeps the tip in the popup's bottom margin). */
  function popupBox(element) {
    const rect = box(element.getBoundingClientRect());
    rect.bottom += Number.parseFloat(getComputedStyle(element).marginBottom) || 0;
    return rect;
  }

  const widest = new WeakMap(); // popup → the maxWidth it was made with
  let zooming = false;
  map.on("zoomstart", () => {
    zooming = true;
  });
  map.on("zoomend", () => {
    zooming = false;
  });

  /** Fit ``popup``; ``checks`` more times after the pan, should something else move the map. */
  function fit(popup, checks = 1) {
    const element = popup.getElement();
    if (!element || !popup.options.autoPan || !map.hasLayer(popup)) return;
    if (zooming) {
      // Opened during a zoom animation: its place is known once the zoom ends.
      map.once("zoomend", () => fit(popup, checks));
      return;
    }
    const area = visibleArea();
    const obstacles = obstacleBoxes(area);
    // Narrower than the map, and no taller than the room it has: then a place exists.
    if (!widest.has(popup)) widest.set(popup, popup.options.maxWidth || WIDEST);
    const fits = Math.floor(area.right - area.left - 2 * MARGIN - SIDES);
    const maxWidth = Math.max(160, Math.min(widest.get(popup), fits));
    const room = popupRoom(Math.min(element.offsetWidth, maxWidth + SIDES), area, obstacles);
    const roomValue = `${room}px`;
    if (popup.options.maxWidth !== maxWidth || container.style.getPropertyValue("--gba-popup-room") !== roomValue) {
      popup.options.maxWidth = maxWidth;
      container.style.setProperty("--gba-popup-room", roomValue);
      popup.update(); // lays it out again (Leaflet's own pan restarts; ours replaces it below)
    }
    const move = placePopup(popupBox(element), area, obstacles);
    if (!move) return;
    const [dx, dy] = move.map(Math.round);
    // Replaces the pan Leaflet has just started (PosAnimation.run stops the running one).
    if (!dx && !dy) return;
    map.panBy([-dx, -dy]);
    // After panBy: stopping the pan it replaces fires a moveend of its own.
    if (checks > 0) map.once("moveend", () => fit(popup, checks - 1));
  }

  // The open popup is fitted again when the map's size changes or a panel opens over it.
  let open = null;
  map.on("popupopen", (event) => {
    open = event.popup;
    fit(open);
  });
  map.on("popupclose", (event) => {
    if (open === event.popup) open = null;
  });
  map.on("resize gbapanelopen", () => {
    if (open) fit(open, 0);
  });
  return { fit };
}
