/* Names and short descriptions of records in the page's language.  Pure: plain data and
 * the i18n catalogue in, strings out (the UI puts them in textContent or attributes).
 */

export function createNames(config, i18n, dataset) {
  const lang = config.lang;
  const linkLayer = config.linkLayer;

  /** ``p.<prefix>_<lang>``, else the English form, else the id. */
  function name(p, prefix = "name") {
    return p[`${prefix}_${lang}`] || p[`${prefix}_en`] || p.id;
  }

  /** A vocabulary value's label: the catalogue's "<kind>.<value>", a name from the data, or the value. */
  function valueLabel(kind, value) {
    if (value === null || value === undefined) return "";
    if (i18n.has(`${kind}.${value}`)) return i18n.label(kind, value);
    return dataset?.valueName(kind, value) || String(value);
  }

  function isLink(record) {
    return record.layer === linkLayer;
  }

  function recordName(record) {
    const p = record.p;
    return isLink(record) ? `${name(p, "from_name")} ↔ ${name(p, "to_name")}` : name(p);
  }

  function place(p) {
    const suffix = lang === "en" ? "" : `_${lang}`;
    const parts = [];
    for (const key of ["district", "jurisdiction"]) {
      const value = p[`${key}${suffix}`] || p[key];
      if (value) parts.push(value);
    }
    return parts.join(lang === "en" ? ", " : "，");
  }

  return {
    name,
    valueLabel,
    isLink,
    recordName,
    place,
    /** What a screen reader says for a record: "A ↔ B: type, status" for a link. */
    accessibleName(record) {
      const p = record.p;
      if (isLink(record)) {
        return i18n.t("link_label", {
          a: name(p, "from_name"),
          b: name(p, "to_name"),
          type: valueLabel("link_type", p.link_type),
          status: valueLabel("status", p.status),
        });
      }
      return i18n.t("feature_label", {
        name: name(p),
        category: valueLabel("category", p.category),
        status: valueLabel("status", p.status),
        place: place(p),
      });
    },
    /** "Year 2021 · Target year 2030", or "undated". */
    years(p) {
      const parts = [typeof p.year === "number" ? `${i18n.t("year")} ${p.year}` : i18n.t("undated")];
      if (typeof p.target_year === "number") parts.push(`${i18n.label("figure", "target_year")} ${p.target_year}`);
      return parts.join(" · ");
    },
    /** The note on how a record was placed, in the page's language when the data has it. */
    placementNote(record) {
      const p = record.p;
      const translated = p[`coord_source_${lang}`];
      if (translated) return translated;
      if (isLink(record) && i18n.has("placement.link")) return i18n.t("placement.link");
      return p.coord_source || "";
    },
    /** A figure's value with its unit ("12.5 RMB bn"), the unit from the catalogue when it knows it. */
    figureValue(figure) {
      const unit = figure.unit ? i18n.label("unit", figure.unit) : "";
      return unit ? `${figure.value} ${unit}` : String(figure.value);
    },
    figureLabel(figure) {
      return (
        figure[`label_${lang}`] || (i18n.has(`figure.${figure.key}`) ? i18n.label("figure", figure.key) : figure.key)
      );
    },
  };
}
