/* The vendored front-end files (webapp/static/vendor/, served by the app so `make run` needs no
 * npm) are exactly the npm packages' files pinned in package-lock.json (run `npm ci` first). */

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";

const ROOT = new URL("../../", import.meta.url);

const VENDORED = [
  ["leaflet.vectorgrid", "dist/Leaflet.VectorGrid.bundled.min.js", "webapp/static/vendor/leaflet.vectorgrid/"],
  ["pmtiles", "dist/pmtiles.js", "webapp/static/vendor/pmtiles/"],
];

for (const [name, file, directory] of VENDORED) {
  test(`${directory} holds ${name}'s ${file} as npm ci installs it`, () => {
    const installed = new URL(`node_modules/${name}/${file}`, ROOT);
    assert.ok(existsSync(installed), `node_modules/${name} is missing: run npm ci`);
    const lock = JSON.parse(readFileSync(new URL("package-lock.json", ROOT), "utf8"));
    const locked = lock.packages[`node_modules/${name}`].version;
    const pkg = JSON.parse(readFileSync(new URL(`node_modules/${name}/package.json`, ROOT), "utf8"));
    assert.equal(pkg.version, locked, `node_modules/${name} is not the locked version: run npm ci`);
    const vendored = readFileSync(new URL(`${directory}${file.split("/").pop()}`, ROOT));
    assert.ok(vendored.equals(readFileSync(installed)), `${directory} differs from ${name} ${locked}: copy it again`);
    assert.ok(existsSync(new URL(`${directory}LICENSE`, ROOT)), `${directory}LICENSE is missing`);
  });
}
