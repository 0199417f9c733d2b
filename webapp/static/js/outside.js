/* Links with one end outside the Greater Bay Area (``outside_gba: true``, e.g. to the Beijing
 * bodies) are drawn as a short stub from the end inside, pointing to the far end: they must
 * not pull the view to Beijing.  Pure geometry here; shapes.js draws it.
 */

/** Whether [lon, lat] lies in ``bounds`` = [min lon, min lat, max lon, max lat]. */
export function inBounds(position, bounds) {
  const [lon, lat] = position;
  return lon >= bounds[0] && lon <= bounds[2] && lat >= bounds[1] && lat <= bounds[3];
}

/**
 * The index (0 or last) of the end of a link that lies outside the region, or null: only
 * links whose data say ``outside_gba`` have one, and only when exactly one end is outside.
 */
export function outsideEnd(coordinates, p, bounds) {
  if (!p?.outside_gba || !bounds || coordinates.length < 2) return null;
  const last = coordinates.length - 1;
  const firstOut = !inBounds(coordinates[0], bounds);
  const lastOut = !inBounds(coordinates[last], bounds);
  if (firstOut === lastOut) return null;
  return firstOut ? 0 : last;
}

/**
 * The stub's far point in screen pixels: ``length`` pixels from ``inside`` towards ``outside``
 * (never past it), and the direction's angle in degrees (0 = east, 90 = south, as on screen).
 */
export function stubEnd(inside, outside, length) {
  const dx = outside.x - inside.x;
  const dy = outside.y - inside.y;
  const distance = Math.hypot(dx, dy);
  const angle = (Math.atan2(dy, dx) * 180) / Math.PI;
  if (distance === 0) return { x: inside.x, y: inside.y, angle: 0 };
  const f = Math.min(1, length / distance);
  return { x: inside.x + dx * f, y: inside.y + dy * f, angle };
}

/**
 * Where the label sits against the stub's end, carrying on in the stub's direction: centred
 * beyond it when the stub runs mostly up or down, else to its right or left; above or below.
 */
export function labelSide(angle) {
  const radians = (angle * Math.PI) / 180;
  const cos = Math.cos(radians);
  const h = Math.abs(cos) < 0.5 ? "centre" : cos > 0 ? "right" : "left";
  return { h, v: Math.sin(radians) < 0 ? "above" : "below" };
}
