import assert from "node:assert/strict";
import { test } from "node:test";

import { escapeHtml } from "../../webapp/static/js/escape.js";

test("escapeHtml makes markup and both quote styles inert", () => {
  assert.equal(
    escapeHtml(`<img src=x onerror="alert('1')">&`),
    "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;",
  );
  assert.equal(escapeHtml(42), "42");
});
