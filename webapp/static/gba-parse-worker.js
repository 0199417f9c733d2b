/* GBA Cooperation Map: parses a big layer's GeoJSON off the page's main thread.
 *
 * gba-map.js fetches the layer itself and hands the bytes over (transferred, not
 * copied).  Parsing a 100k-point file takes a second or more, which would freeze
 * the page; here it only keeps this worker busy.  The features go back in
 * batches, so the page takes in each batch (its structured clone and its
 * records) as one short task of its own, and stays responsive in between.
 */
"use strict";

var BATCH = 1000;

self.onmessage = function (event) {
  var features;
  try {
    var collection = JSON.parse(new TextDecoder().decode(event.data.bytes));
    features = (collection && collection.features) || [];
    if (!Array.isArray(features)) throw new Error("features is not an array");
  } catch (error) {
    self.postMessage({ error: String((error && error.message) || error) });
    return;
  }
  for (var start = 0; start < features.length; start += BATCH) {
    self.postMessage({ features: features.slice(start, start + BATCH) });
  }
  self.postMessage({ done: true, total: features.length });
};
