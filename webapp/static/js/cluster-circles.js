/* The clusters of a tiled point layer (features with a ``count`` above 1) on a tile's canvas:
 * a circle sized by the count, filled with the cluster's colour, with the count on the biggest
 * circle of each square of the tile (the ones a reader can read).  Each circle is drawn once per
 * colour, size (to the half pixel) and pixel ratio, then copied: a dense tile holds thousands
 * of overlapping circles, and copying a small bitmap costs the canvas far less than filling and
 * stroking each circle anew (the same pixels). */

import { labelledClusters } from "./tiles.js";

/** A cluster's radius in CSS pixels, from its number of points. */
export const clusterRadius = (count) => Math.min(28, 7 + 3 * Math.log2(count));

/** ``drawClusters(ctx, list, ratio)``: draw ``list`` ({x, y, r, count, style}) on ``ctx`` (scaled
 * by ``ratio``, the device pixel ratio), its circles made with ``doc``'s canvases and kept. */
export function clusterPainter(doc) {
  const circles = new Map(); // `${colour}\n${radius}\n${ratio}` → its canvas

  function circle(colour, radius, ratio) {
    const key = `${colour}\n${radius}\n${ratio}`;
    if (!circles.has(key)) {
      const side = Math.ceil(2 * (radius + 1));
      const canvas = doc.createElement("canvas");
      canvas.width = Math.ceil(side * ratio);
      canvas.height = Math.ceil(side * ratio);
      const ctx = canvas.getContext("2d");
      ctx.scale(canvas.width / side, canvas.height / side);
      ctx.beginPath();
      ctx.arc(side / 2, side / 2, radius, 0, 2 * Math.PI);
      ctx.globalAlpha = 0.75;
      ctx.fillStyle = colour;
      ctx.fill();
      ctx.globalAlpha = 1;
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = "#fff";
      ctx.stroke();
      circles.set(key, { canvas, side });
    }
    return circles.get(key);
  }

  return function drawClusters(ctx, list, ratio) {
    ctx.globalAlpha = 1; // whatever the tile's last stroke left: each circle carries its own alpha
    for (const { x, y, r, style } of list) {
      const { canvas, side } = circle(style.fillColor || style.color, Math.round(2 * r) / 2, ratio);
      ctx.drawImage(canvas, x - side / 2, y - side / 2, side, side);
    }
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.font = "bold 10px sans-serif";
    ctx.fillStyle = "#fff";
    for (const index of labelledClusters(list)) {
      const { x, y, count } = list[index];
      ctx.fillText(count > 9999 ? `${Math.round(count / 1000)}k` : String(count), x, y);
    }
  };
}
