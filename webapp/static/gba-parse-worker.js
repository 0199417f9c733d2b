/* GBA Cooperation Map: parses a big layer's GeoJSON off the page's main thread.
 *
 * js/loader.js fetches the layer itself and hands the bytes over (transferred, not
 * copied).  Parsing a 100k-point file takes a second or more, which would freeze
 * the page; here it only keeps this worker busy.  The features go back in
 * batches, so the page takes in each batch (its structured clone and its
 * records) as one short task of its own, and stays responsive in between.
 * A classic worker script (module workers are not needed for this).
 */

const BATCH = 1000;

function parse(bytes) {
  const collection = JSON.parse(new TextDecoder().decode(bytes));
  const features = collection?.features || [];
  if (!Array.isArray(features)) throw new Error("features is not an array");
  return features;
}

self.onmessage = (event) => {
  let features;
  try {
    features = parse(event.data.bytes);
  } catch (error) {
    self.postMessage({ error: String(error?.message || error) });
    return;
  }
  for (let start = 0; start < features.length; start += BATCH) {
    self.postMessage({ features: features.slice(start, start + BATCH) });
  }
  self.postMessage({ done: true, total: features.length });
};
