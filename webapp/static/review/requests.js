/* The review API's requests, built as plain data ({url, init}) so that node --test can check
 * them; `send` is the only function that talks to the network.
 *
 * Every change is a same-origin POST with a JSON body: the server refuses anything else
 * (webapp/review.py, its guard against cross-site requests).  A click on the map is sent as
 * the map gives it, with the basemap it was read on: the server knows each basemap's datum
 * and converts a GCJ-02 (Gaode) click to WGS-84, so no datum arithmetic happens here.
 */

const COORD_DECIMALS = 7; // geo.schema.COORD_DECIMALS: about a centimetre

/** The URL of one proposal's action: <files>/<file name>/<proposal id>/<action>. */
export function actionUrl(filesUrl, fileName, proposalId, action) {
  return [filesUrl, fileName, proposalId, action].map((part, i) => (i ? encodeURIComponent(part) : part)).join("/");
}

/** A JSON POST of `body` to `url`. */
export function post(url, body) {
  return {
    url,
    init: {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body ?? {}),
      credentials: "same-origin",
    },
  };
}

export function acceptRequest(filesUrl, fileName, proposalId, edits) {
  return post(actionUrl(filesUrl, fileName, proposalId, "accept"), edits ? { edits } : {});
}

export function editRequest(filesUrl, fileName, proposalId, changes) {
  return post(actionUrl(filesUrl, fileName, proposalId, "edit"), { changes });
}

export function rejectRequest(filesUrl, fileName, proposalId) {
  return post(actionUrl(filesUrl, fileName, proposalId, "reject"), {});
}

/** A position clicked on the map: degrees rounded to COORD_DECIMALS, longitude wrapped to ±180. */
export function clickedPosition(lat, lng) {
  const wrapped = ((((lng + 180) % 360) + 360) % 360) - 180;
  const round = (value) => Number(value.toFixed(COORD_DECIMALS));
  return { lon: round(wrapped === -180 && lng > 0 ? 180 : wrapped), lat: round(lat) };
}

/** The request that places a "to position" record where the editor clicked on `basemap`. */
export function placeRequest(filesUrl, fileName, proposalId, { lat, lng, basemap, precision }) {
  const { lon, lat: latitude } = clickedPosition(lat, lng);
  return post(actionUrl(filesUrl, fileName, proposalId, "place"), { lon, lat: latitude, basemap, precision });
}

/** The public map centred on record or link `id`, its popup open (the map's `focus` parameter). */
export function focusUrl(mapUrl, id) {
  return `${mapUrl}?${new URLSearchParams({ focus: id })}`;
}

/** GET or POST a request built above; resolves to the JSON answer, rejects with the server's message. */
export async function send(request, fetchImpl = fetch) {
  const response = await fetchImpl(request.url, request.init ?? { headers: { Accept: "application/json" } });
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const message = body?.error ?? `${response.status} ${response.statusText}`;
    throw new Error(message);
  }
  return body;
}
