import assert from "node:assert/strict";
import { test } from "node:test";
import { createI18n } from "../../webapp/static/js/i18n.js";
import { createNames } from "../../webapp/static/js/names.js";
import { pageConfig } from "./helpers.js";

const text = { ...pageConfig.text, "unit.RMB bn": "億元人民幣", "placement.link": "兩端代表點之間的直線" };
const names = (lang) => createNames({ ...pageConfig, lang }, createI18n(text), null);

const link = {
  id: "l",
  layer: "links",
  kind: "link",
  p: { id: "l", coord_source: "straight line", from_name_en: "A", to_name_en: "B", link_type: "medical" },
};
const point = {
  id: "p",
  layer: "hospitals",
  kind: "point",
  p: {
    id: "p",
    name_en: "Clinic",
    coord_source: "English note",
    coord_source_zh_hant: "中文說明",
    district: "Futian",
    district_zh_hant: "福田區",
    jurisdiction: "Shenzhen",
    jurisdiction_zh_hant: "深圳市",
    year: null,
    target_year: 2030,
  },
};

test("the placement note in the page's language, else the catalogue's for links, else the data's", () => {
  assert.equal(names("zh_hant").placementNote(point), "中文說明");
  assert.equal(names("zh_hans").placementNote(point), "English note");
  assert.equal(names("zh_hant").placementNote(link), "兩端代表點之間的直線");
  assert.equal(createNames(pageConfig, createI18n({}), null).placementNote(link), "straight line");
});

test("units from the catalogue, raw when it does not know them", () => {
  const chinese = names("zh_hant");
  assert.equal(chinese.figureValue({ value: 12, unit: "RMB bn" }), "12 億元人民幣");
  assert.equal(chinese.figureValue({ value: 3, unit: "widgets" }), "3 widgets");
  assert.equal(chinese.figureValue({ value: 3 }), "3");
});

test("names, places and years in the page's language, falling back to English, then the id", () => {
  const chinese = names("zh_hant");
  assert.equal(chinese.name(point.p), "Clinic");
  assert.equal(chinese.name({ id: "x" }), "x");
  assert.equal(chinese.place(point.p), "福田區，深圳市");
  assert.equal(names("en").place(point.p), "Futian, Shenzhen");
  const i18n = createI18n(text);
  assert.equal(names("en").years(point.p), `${i18n.t("undated")} · ${i18n.label("figure", "target_year")} 2030`);
  assert.notEqual(i18n.label("figure", "target_year"), "target_year");
  assert.equal(names("en").recordName(link), "A ↔ B");
});

test("a link's accessible name reads 'A ↔ B: type, status'", () => {
  const english = names("en");
  assert.equal(
    english.accessibleName({ ...link, p: { ...link.p, status: "planned" } }),
    `A ↔ B: ${createI18n(text).label("link_type", "medical")}, ${createI18n(text).label("status", "planned")}`,
  );
});
