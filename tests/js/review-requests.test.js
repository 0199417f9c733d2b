import assert from "node:assert/strict";
import { test } from "node:test";

import {
  acceptRequest,
  actionUrl,
  clickedPosition,
  editRequest,
  focusUrl,
  placeRequest,
  rejectRequest,
  send,
} from "../../webapp/static/review/requests.js";

const FILES = "/review/api/files";

function jsonPost(request) {
  assert.equal(request.init.method, "POST");
  assert.equal(request.init.headers["Content-Type"], "application/json");
  assert.equal(request.init.credentials, "same-origin");
  return JSON.parse(request.init.body);
}

test("a click on Gaode is sent as clicked, with the basemap: the server does the GCJ-02 conversion", () => {
  const request = placeRequest(FILES, "takungpao-2025", "record-c-mer", {
    lat: 22.712345678912,
    lng: 114.349876543219,
    basemap: "gaode",
    precision: "building",
  });
  assert.equal(request.url, "/review/api/files/takungpao-2025/record-c-mer/place");
  assert.deepEqual(jsonPost(request), {
    lon: 114.3498765,
    lat: 22.7123457,
    basemap: "gaode",
    precision: "building",
  });
});

test("a click on a WGS-84 basemap is sent the same way, naming that basemap", () => {
  const body = jsonPost(placeRequest(FILES, "f", "p", { lat: 22.5, lng: 114.1, basemap: "osm", precision: "campus" }));
  assert.deepEqual(body, { lon: 114.1, lat: 22.5, basemap: "osm", precision: "campus" });
});

test("a longitude from a map panned around the world is wrapped into -180..180", () => {
  assert.deepEqual(clickedPosition(22.5, 114.1 + 360), { lon: 114.1, lat: 22.5 });
  assert.deepEqual(clickedPosition(22.5, 114.1 - 720), { lon: 114.1, lat: 22.5 });
  assert.deepEqual(clickedPosition(0, 180), { lon: 180, lat: 0 });
  assert.deepEqual(clickedPosition(0, -180), { lon: -180, lat: 0 });
});

test("accept, edit and reject are JSON POSTs to the proposal's action URL", () => {
  assert.deepEqual(jsonPost(acceptRequest(FILES, "f", "link-a-b", null)), {});
  assert.deepEqual(jsonPost(acceptRequest(FILES, "f", "link-a-b", { status: "planned" })), {
    edits: { status: "planned" },
  });
  assert.deepEqual(jsonPost(editRequest(FILES, "f", "record-x", { name_en: "X" })), { changes: { name_en: "X" } });
  const reject = rejectRequest(FILES, "f", "record-x");
  assert.equal(reject.url, "/review/api/files/f/record-x/reject");
  assert.deepEqual(jsonPost(reject), {});
});

test("file names and proposal ids are escaped as path segments", () => {
  assert.equal(actionUrl(FILES, "a/b", "x?y#z", "accept"), "/review/api/files/a%2Fb/x%3Fy%23z/accept");
});

test("send resolves to the JSON answer and rejects with the server's message", async () => {
  const seen = [];
  const ok = async (url, init) => {
    seen.push([url, init.method]);
    return { ok: true, status: 200, json: async () => ({ action: "reject" }) };
  };
  assert.deepEqual(await send(rejectRequest(FILES, "f", "p"), ok), { action: "reject" });
  assert.deepEqual(seen, [["/review/api/files/f/p/reject", "POST"]]);
  const refused = async () => ({
    ok: false,
    status: 422,
    statusText: "Unprocessable Entity",
    json: async () => ({ error: "f.yaml: link-a-b: endpoint record-b is not accepted yet" }),
  });
  await assert.rejects(send(rejectRequest(FILES, "f", "p"), refused), /endpoint record-b is not accepted yet/);
  const notJson = async () => ({
    ok: false,
    status: 502,
    statusText: "Bad Gateway",
    json: async () => {
      throw new SyntaxError("not JSON");
    },
  });
  await assert.rejects(send({ url: "/x" }, notJson), /502 Bad Gateway/);
});

test("an accepted record is linked on the public map by its focus parameter, escaped", () => {
  assert.equal(focusUrl("/", "hku-pingshan-biomed-institute"), "/?focus=hku-pingshan-biomed-institute");
  assert.equal(focusUrl("/gba/", "a&b=c"), "/gba/?focus=a%26b%3Dc");
});
