/* Point-in-polygon on Leaflet-style nested rings of {lat, lng}.  Pure. */

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
