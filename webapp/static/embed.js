/* GBA Cooperation Map, for host pages: include once, and every map iframe on the page takes
 * the height of its content.
 *
 *   <iframe src="https://map.example.org/embed?…" width="100%" height="480" data-gba-map …></iframe>
 *   <script src="https://map.example.org/embed.js" async></script>
 *
 * A classic script with no dependencies (served at a stable URL beside /embed, CORS *).
 * A map iframe is one with a data-gba-map attribute, or whose src is this script's /embed.
 * The protocol (docs/embed.md, "Auto-height"):
 *   frame → host  {type: "gba-map:ready"}            when the map page starts
 *   host → frame  {type: "gba-map:hello"}            "a host script sizes you": answer to ready, and
 *                                                    sent to every map frame when this script runs
 *   frame → host  {type: "gba-map:height", height}   the content height in CSS pixels, on every change
 * A message counts only when it comes from a map iframe's window (event.source is its
 * contentWindow) and from the origin of that iframe's src; hello goes to that origin only.
 * Without this script the iframe keeps its own height and the map fills it.
 */
(() => {
  const PREFIX = "gba-map:";
  const MAX_HEIGHT = 100000;

  if (window.GBAMapEmbed) {
    window.GBAMapEmbed.scan(); // included twice: one listener is enough
    return;
  }

  const script = document.currentScript;
  // This script is served at <embed page>.js, so the embed page is its URL without ".js".
  const embedPage = new URL(script ? script.src.replace(/\.js([?#].*)?$/, "") : "/embed", location.href);

  function srcOrigin(frame) {
    try {
      const src = new URL(frame.getAttribute("src") || "", location.href);
      return src.protocol === "http:" || src.protocol === "https:" ? src.origin : null;
    } catch {
      return null;
    }
  }

  function isMapFrame(frame) {
    if (frame.hasAttribute("data-gba-map")) return true;
    try {
      const src = new URL(frame.getAttribute("src") || "", location.href);
      return src.origin === embedPage.origin && src.pathname === embedPage.pathname;
    } catch {
      return false;
    }
  }

  function mapFrames() {
    return Array.prototype.filter.call(document.querySelectorAll("iframe"), isMapFrame);
  }

  /** {type: "ready"} or {type: "height", height} from a message's data; null for anything else. */
  function parse(data) {
    if (!data || typeof data !== "object" || typeof data.type !== "string") return null;
    if (data.type === `${PREFIX}ready`) return { type: "ready" };
    if (data.type === `${PREFIX}height`) {
      const height = Number(data.height);
      if (!Number.isFinite(height) || height <= 0 || height > MAX_HEIGHT) return null;
      return { type: "height", height: Math.ceil(height) };
    }
    return null;
  }

  function hello(frame) {
    const origin = srcOrigin(frame);
    if (origin && frame.contentWindow) frame.contentWindow.postMessage({ type: `${PREFIX}hello` }, origin);
  }

  window.addEventListener("message", (event) => {
    const message = parse(event.data);
    if (!message) return;
    const frame = mapFrames().find((candidate) => candidate.contentWindow === event.source);
    if (!frame || event.origin !== srcOrigin(frame)) return;
    if (message.type === "ready") hello(frame);
    else frame.style.height = `${message.height}px`;
  });

  const greeted = new WeakSet();
  function scan() {
    for (const frame of mapFrames()) {
      hello(frame); // a frame that started before this script ran missed our answer to its ready
      if (!greeted.has(frame)) {
        greeted.add(frame);
        frame.addEventListener("load", () => hello(frame));
      }
    }
  }

  window.GBAMapEmbed = { scan, parse };
  scan();
})();
