/* GCJ-02 ("Mars coordinates"), mirroring geo/datum.py: the browser tests compare the two.
 *
 * Gaode's tiles are drawn in GCJ-02, so mainland features are shifted onto them; the
 * data stays WGS-84 everywhere else.  Pure: no Leaflet, no DOM.
 */

const KRASOVSKY_A = 6378245.0;
const KRASOVSKY_EE = 0.006693421622965943; // 0.00669342162296594323 as a double, as in geo/datum.py

export function insideChinaBox(lon, lat) {
  return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;
}

function gcjDelta(lon, lat) {
  const x = lon - 105.0;
  const y = lat - 35.0;
  const pi = Math.PI;
  let dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  dlat += ((20.0 * Math.sin(6.0 * x * pi) + 20.0 * Math.sin(2.0 * x * pi)) * 2.0) / 3.0;
  dlat += ((20.0 * Math.sin(y * pi) + 40.0 * Math.sin((y / 3.0) * pi)) * 2.0) / 3.0;
  dlat += ((160.0 * Math.sin((y / 12.0) * pi) + 320 * Math.sin((y * pi) / 30.0)) * 2.0) / 3.0;
  let dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  dlon += ((20.0 * Math.sin(6.0 * x * pi) + 20.0 * Math.sin(2.0 * x * pi)) * 2.0) / 3.0;
  dlon += ((20.0 * Math.sin(x * pi) + 40.0 * Math.sin((x / 3.0) * pi)) * 2.0) / 3.0;
  dlon += ((150.0 * Math.sin((x / 12.0) * pi) + 300.0 * Math.sin((x / 30.0) * pi)) * 2.0) / 3.0;
  const rad = (lat / 180.0) * pi;
  const magic = 1 - KRASOVSKY_EE * Math.sin(rad) ** 2;
  const sqrtMagic = Math.sqrt(magic);
  dlat = (dlat * 180.0) / (((KRASOVSKY_A * (1 - KRASOVSKY_EE)) / (magic * sqrtMagic)) * pi);
  dlon = (dlon * 180.0) / ((KRASOVSKY_A / sqrtMagic) * Math.cos(rad) * pi);
  return [dlon, dlat];
}

/** [lon, lat] in WGS-84 → GCJ-02 (unchanged outside China's box). */
export function wgs84ToGcj02(lon, lat) {
  if (!insideChinaBox(lon, lat)) return [lon, lat];
  const d = gcjDelta(lon, lat);
  return [lon + d[0], lat + d[1]];
}

/** [lon, lat] in GCJ-02 → WGS-84: no closed form, so the forward shift is iterated as geo/datum.py does. */
export function gcj02ToWgs84(lon, lat) {
  let wlon = lon;
  let wlat = lat;
  for (let i = 0; i < 30; i++) {
    const g = wgs84ToGcj02(wlon, wlat);
    const errLon = g[0] - lon;
    const errLat = g[1] - lat;
    wlon -= errLon;
    wlat -= errLat;
    if (Math.abs(errLon) < 1e-9 && Math.abs(errLat) < 1e-9) break;
  }
  return [wlon, wlat];
}

/** The [dlon, dlat] a position moves by on tiles drawn in ``datum`` ("wgs84" or "gcj02"). */
export function shiftOf(position, datum, unshifted) {
  if (datum !== "gcj02" || unshifted) return [0, 0];
  const shifted = wgs84ToGcj02(position[0], position[1]);
  return [shifted[0] - position[0], shifted[1] - position[1]];
}
