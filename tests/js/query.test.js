import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  compileMatcher,
  compileRecordFilter,
  normaliseLang,
  parseQuery,
  QueryError,
  roundHalfUp,
} from "../../webapp/static/js/query.js";
import { queryCases, tables } from "./helpers.js";

describe("shared parse cases (tests/cases/query_cases.json)", () => {
  for (const c of queryCases.parse) {
    test(c.query || "(empty query)", () => {
      if (c.error) {
        assert.throws(
          () => parseQuery(c.query, tables),
          (error) => error instanceof QueryError && error.param === c.error,
        );
      } else {
        assert.deepEqual(parseQuery(c.query, tables), c.expect);
      }
    });
  }
});

describe("shared match cases", () => {
  const records = queryCases.match.records.map((record) => record.properties);
  for (const c of queryCases.match.cases) {
    test(c.query || "(no filter)", () => {
      const matches = compileRecordFilter(parseQuery(c.query, tables), tables);
      const ids = records.filter(matches).map((p) => p.id);
      assert.deepEqual(ids.sort(), [...c.ids].sort());
    });
  }
});

describe("parseQuery", () => {
  test("accepts a URLSearchParams as well as a string", () => {
    assert.deepEqual(parseQuery(new URLSearchParams("status=planned"), tables), { status: ["planned"] });
  });
  test("strict mode (the APIs) refuses unknown parameters, naming them", () => {
    assert.throws(
      () => parseQuery("fbclid=x", tables, { strict: true }),
      (error) => error.param === "fbclid",
    );
  });
  test("an unknown parameter named like an Object property is ignored", () => {
    assert.deepEqual(parseQuery("__proto__=x&constructor=y&toString=z", tables), {});
  });
  test("a queryable added to the table is parsed with no other change", () => {
    const extra = { name: "funding", kind: "enum", values: ["public", "private"], properties: ["funding"] };
    const wider = { ...tables, queryables: [...tables.queryables, extra] };
    assert.deepEqual(parseQuery("funding=PUBLIC", wider), { funding: ["public"] });
    assert.throws(
      () => parseQuery("funding=other", wider),
      (error) => error.param === "funding",
    );
  });
  test("a hexadecimal or empty number is not a number", () => {
    assert.throws(
      () => parseQuery("lat=0x10&lon=1", tables),
      (error) => error.param === "lat",
    );
  });
});

describe("helpers", () => {
  test("normaliseLang maps regional tags and refuses the rest", () => {
    assert.equal(normaliseLang("zh-Hant-TW"), "zh-Hant");
    assert.equal(normaliseLang("zh-Hans-CN"), "zh-Hans");
    assert.equal(normaliseLang("en-US"), "en");
    assert.equal(normaliseLang("ja"), null);
  });
  test("roundHalfUp rounds halves up, like the server", () => {
    assert.deepEqual([10.5, 11.5, 12.5, 11.075, 12.6].map(roundHalfUp), [11, 12, 13, 11, 13]);
  });
});

describe("compileMatcher", () => {
  const queryables = tables.queryables;
  test("a record lacking every property of a filter never matches it", () => {
    const matches = compileMatcher({ link_type: ["medical"] }, queryables);
    assert.equal(matches({ id: "h", category: "hospital" }), false);
    assert.equal(matches({ id: "l", link_type: "medical" }), true);
  });
  test("list properties match when one item is wanted", () => {
    const matches = compileMatcher({ touches_jurisdiction: ["Hong Kong"] }, queryables);
    assert.equal(matches({ jurisdictions: ["Shenzhen", "Hong Kong"] }), true);
    assert.equal(matches({ from_jurisdiction: "Shenzhen", to_jurisdiction: "Hong Kong" }), true);
    assert.equal(matches({ jurisdictions: ["Shenzhen"] }), false);
  });
  test("jurisdiction is exactly the property: a zone reaching into Hong Kong and a link are out", () => {
    const matches = compileMatcher({ jurisdiction: ["Hong Kong"] }, queryables);
    assert.equal(matches({ jurisdiction: "Hong Kong", jurisdictions: ["Hong Kong"] }), true);
    assert.equal(matches({ jurisdiction: "Shenzhen", jurisdictions: ["Shenzhen", "Hong Kong"] }), false);
    assert.equal(matches({ from_jurisdiction: "Shenzhen", to_jurisdiction: "Hong Kong" }), false);
  });
  test("the year means 'as of': undated records pass", () => {
    const matches = compileMatcher(new Map([["year", 2020]]), queryables);
    assert.equal(matches({ year: null }), true);
    assert.equal(matches({ year: 2020 }), true);
    assert.equal(matches({ year: 2021 }), false);
  });
  test("cross_border=false selects links that are not cross-border, not features", () => {
    const matches = compileMatcher({ cross_border: false }, queryables);
    assert.equal(matches({ cross_border: false }), true);
    assert.equal(matches({ cross_border: true }), false);
    assert.equal(matches({ category: "hospital" }), false);
  });
  test("a data value that is an Object property name is just a value", () => {
    const matches = compileMatcher({ category: ["hospital"] }, queryables);
    assert.equal(matches({ category: "constructor" }), false);
    assert.equal(matches({ category: "__proto__" }), false);
  });
  test("links are judged by their own layer, not their endpoints'", () => {
    const filter = compileRecordFilter({ layers: ["links"] }, tables);
    assert.equal(filter({ layer: "links", from_id: "h1", to_id: "z1" }), true);
    assert.equal(filter({ layer: "hospitals" }), false);
  });
});
