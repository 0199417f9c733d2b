/* Point-in-polygon on Leaflet-style nested rings of {lat, lng}; the map's bounds as a bbox.  Pure. */

function pointInRing(lat, lng, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const a = ring[i];
    const b = ring[j];
    if (a.lat > lat !== b.lat > lat && lng < ((b.lng - a.lng) * (lat - a.lat)) / (b.lat - a.lat) + a.lng) {
      inside = !inside;
    }
  }
  return inside;
}

/** Whether {lat, lng} lies in a polygon ([ring, hole...]) or a multipolygon ([[ring, hole...], ...]). */
export function pointInPolygon(latlng, latlngs) {
  if (!latlngs.length) return false;
  const polygons = Array.isArray(latlngs[0][0]) ? latlngs : [latlngs];
  return polygons.some((polygon) => {
    if (!pointInRing(latlng.lat, latlng.lng, polygon[0])) return false;
    for (let h = 1; h < polygon.length; h++) if (pointInRing(latlng.lat, latlng.lng, polygon[h])) return false;
    return true;
  });
}

/**
 * The map's bounds (west, south, east, north, as Leaflet reports them: longitudes run on past
 * ±180 when the map is panned round the world) as the bbox the server takes: longitudes within
 * ±180, minLon > maxLon when the view spans the antimeridian (OGC API – Features Part 1,
 * 7.15.3), the whole world when the view is wider than it; latitudes clamped to ±90.
 */
export function viewBbox(west, south, east, north) {
  const lats = [Math.max(south, -90), Math.min(north, 90)];
  if (east - west >= 360) return [-180, lats[0], 180, lats[1]];
  const turns = Math.floor((west + 180) / 360); // whole turns round the world (0 in the usual view)
  const minLon = west - turns * 360;
  const maxLon = east - turns * 360;
  return [minLon, lats[0], maxLon > 180 ? maxLon - 360 : maxLon, lats[1]];
}
