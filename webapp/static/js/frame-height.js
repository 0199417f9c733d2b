/* Auto-height inside an iframe: the embed tells its host page how tall its content is.
 *
 * A map has no height of its own, so the page switches to the auto-height layout (class
 * gba-auto-height on <html>: the map's height follows its width, panels flow below on
 * narrow frames; gba-map.css) only when a host will size the frame:
 *   - embed.js says hello ({type: "gba-map:hello"}, after our {type: "gba-map:ready"}),
 *   - the URL has pym.js's childId (pym.js's Parent adds it) or autoheight=true.
 * Then every change of the content's height (ResizeObserver) is posted in three formats:
 * ours ({type: "gba-map:height", height}), Datawrapper's ({"datawrapper-height": {id: height}})
 * and, with a childId, pym.js's string message "pymxPYMx<childId>xPYMxheightxPYMx<height>".
 * The pure helpers are exported for node --test.
 */

export const PREFIX = "gba-map:";
export const DATAWRAPPER_ID = "gba-map";
const PYM_DELIMITER = "xPYMx";

/** pym.js's framing: "pym" + id + type + message, joined by xPYMx. */
export function pymMessage(id, type, message) {
  return ["pym", id, type, message].join(PYM_DELIMITER);
}

/** What a host's message asks of us: "hello" (ours), "width" (pym.js's Parent), or null. */
export function hostMessageKind(data, pymId = null) {
  if (data && typeof data === "object" && data.type === `${PREFIX}hello`) return "hello";
  if (pymId && typeof data === "string") {
    const head = `pym${PYM_DELIMITER}${pymId}${PYM_DELIMITER}width${PYM_DELIMITER}`;
    if (data.startsWith(head)) return "width";
  }
  return null;
}

/** The messages that tell a host our height: [{data, targetOrigin}]. */
export function heightMessages(height, { hostOrigin = null, pymId = null } = {}) {
  const messages = [
    { data: { type: `${PREFIX}height`, height }, targetOrigin: hostOrigin || "*" },
    { data: { "datawrapper-height": { [DATAWRAPPER_ID]: height } }, targetOrigin: "*" },
  ];
  if (pymId) messages.push({ data: pymMessage(pymId, "height", String(height)), targetOrigin: "*" });
  return messages;
}

/** The content's height in whole CSS pixels (the document's, in the auto-height layout). */
export function contentHeight(doc) {
  return Math.ceil(doc.body.getBoundingClientRect().height);
}

/**
 * Start listening for a host (only inside an iframe).  ``query`` is the store's parsed URL
 * (``autoheight``, ``childId``); ``map`` is told when its size changes.
 */
export function createFrameHeight({ query, map, win = window }) {
  if (win.parent === win) return null;
  const doc = win.document;
  const pymId = query.childId || null;
  let hostOrigin = null;
  let observer = null;
  let posted = 0;

  function post() {
    const height = contentHeight(doc);
    if (height === posted) return;
    posted = height;
    for (const message of heightMessages(height, { hostOrigin, pymId })) {
      win.parent.postMessage(message.data, message.targetOrigin);
    }
  }

  function start() {
    if (observer) {
      posted = 0; // a new hello: say it again
      post();
      return;
    }
    doc.documentElement.classList.add("gba-auto-height");
    map?.invalidateSize({ pan: false });
    observer = new win.ResizeObserver(() => {
      map?.invalidateSize({ pan: false });
      post();
    });
    observer.observe(doc.body);
    post();
  }

  win.addEventListener("message", (event) => {
    if (event.source !== win.parent) return;
    const kind = hostMessageKind(event.data, pymId);
    if (kind === "hello") hostOrigin = event.origin;
    if (kind) start();
  });
  win.parent.postMessage({ type: `${PREFIX}ready` }, "*");
  if (query.autoheight || pymId) start();
  return {
    active: () => observer !== null,
    height: () => posted,
  };
}
