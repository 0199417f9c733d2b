/* Escaping our own strings for the few places that take HTML (Leaflet's layer control, the
 * iframe snippet the share panel offers as text).  Pure. */

const ENTITIES = new Map([
  ["&", "&amp;"],
  ["<", "&lt;"],
  [">", "&gt;"],
  ['"', "&quot;"],
  ["'", "&#39;"],
]);

/** ``text`` safe inside HTML text and double- or single-quoted attributes. */
export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ENTITIES.get(c));
}
