/* Fetching the layers: the same files users download.  A big file is parsed in a worker and
 * taken in batch by batch; one JSON.parse of it would freeze the page for seconds.
 */

const WORKER_MIN_BYTES = 4 * 1024 * 1024;

function parseHere(bytes) {
  return JSON.parse(new TextDecoder().decode(bytes)).features || [];
}

/**
 * Fetch ``overlay.url`` and hand its features to ``take(features, last)`` (in batches when a
 * worker parses it; ``last`` is true for the final call).  Resolves when all are taken.
 */
export function loadLayer(overlay, workerUrl, take) {
  return fetch(overlay.url, { credentials: "same-origin" })
    .then((response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return response.arrayBuffer();
    })
    .then((bytes) => {
      let worker = null;
      if (bytes.byteLength >= WORKER_MIN_BYTES && workerUrl && window.Worker) {
        try {
          worker = new Worker(workerUrl);
        } catch {
          worker = null; // e.g. workers forbidden by the embedding page: parse here
        }
      }
      if (!worker) {
        take(parseHere(bytes), true);
        return null;
      }
      return new Promise((resolve, reject) => {
        const fail = (message) => {
          worker.terminate();
          reject(new Error(message));
        };
        worker.onmessage = (event) => {
          const data = event.data;
          if (data.error) return fail(data.error);
          if (data.features) return take(data.features, false);
          worker.terminate();
          take([], true);
          resolve();
        };
        worker.onerror = (event) => {
          event.preventDefault();
          fail(event.message || "cannot parse the layer");
        };
        worker.postMessage({ bytes }, [bytes]);
      });
    });
}
