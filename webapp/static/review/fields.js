/* What an editor may change in a proposal, and the changes a filled-in form makes: pure
 * functions over plain data.  The choices (layers, categories, link types, statuses) come from
 * the page config, which webapp/review.py derives from geo/schema.py: nothing is listed twice.
 */

const DIRECTIONS = ["forward", "backward", "undirected"];
// Both are required by the build (geo/build.py) and rarely in the article: the editor writes them.
const DESCRIPTIONS = [
  { name: "description_zh_hant", label: "Description (Traditional Chinese)" },
  { name: "description_en", label: "Description (English)" },
];
const DESCRIPTION_NAMES = DESCRIPTIONS.map((field) => field.name);
const TABLES = ["layers", "categories", "link_types", "statuses", "precisions", "checks", "figure_kinds"];

/** The page config's vocabularies ([key, value] pairs, in the schema's order) as Maps: a data
 * value such as "__proto__" is then just a miss. */
export function readVocab(raw) {
  const vocab = { point_layers: [...(raw.point_layers ?? [])] };
  for (const name of TABLES) vocab[name] = new Map(raw[name] ?? []);
  return vocab;
}

/** The field descriptors of a proposal's edit form: [{name, label, kind, value, options?}]; `vocab` from readVocab. */
export function editFields(entry, vocab) {
  const kind = entry.proposal?.kind;
  if (kind === "record") return recordFields(entry, vocab);
  if (kind === "link") return linkFields(entry, vocab);
  const target = { name: "target", label: "About record (id)", kind: "text", value: entry.proposal.target ?? "" };
  if (kind === "mention") return [target];
  if (kind === "figure") {
    const figure = entry.figure ?? {};
    return [
      target,
      { name: "key", label: "Figure", kind: "select", value: figure.key ?? "", options: options(vocab.figure_kinds) },
      { name: "value", label: "Value", kind: "number", value: figure.value ?? "" },
    ];
  }
  return [];
}

function options(table) {
  return [...table].map(([value, label]) => ({ value, label }));
}

function recordFields(entry, vocab) {
  const record = entry.record ?? {};
  const layer = entry.proposal.layer;
  return [
    { name: "name_zh_hant", label: "Name (Traditional)", kind: "text", value: record.name_zh_hant ?? "" },
    { name: "name_zh_hans", label: "Name (Simplified)", kind: "text", value: record.name_zh_hans ?? "" },
    { name: "name_en", label: "Name (English)", kind: "text", value: record.name_en ?? "" },
    { name: "aliases", label: "Aliases (comma-separated)", kind: "text", value: (record.aliases ?? []).join(", ") },
    {
      name: "layer",
      label: "Layer",
      kind: "select",
      value: layer,
      options: [...vocab.layers.keys()].map((value) => ({ value, label: value })),
    },
    {
      name: "category",
      label: "Category",
      kind: "select",
      value: record.category ?? "",
      options: categoryOptions(layer, vocab),
    },
    { name: "status", label: "Status", kind: "select", value: record.status ?? "", options: options(vocab.statuses) },
    { name: "year", label: "Year", kind: "number", value: record.year ?? "" },
    ...descriptionFields(record),
  ];
}

function descriptionFields(body) {
  return DESCRIPTIONS.map(({ name, label }) => ({ name, label, kind: "textarea", value: body[name] ?? "" }));
}

function linkFields(entry, vocab) {
  const link = entry.link ?? {};
  return [
    {
      name: "link_type",
      label: "Link type",
      kind: "select",
      value: link.link_type ?? "",
      options: options(vocab.link_types),
    },
    { name: "status", label: "Status", kind: "select", value: link.status ?? "", options: options(vocab.statuses) },
    { name: "year", label: "Year", kind: "number", value: link.year ?? "" },
    {
      name: "direction",
      label: "Direction",
      kind: "select",
      value: link.directed ? "forward" : "undirected",
      options: [
        { value: "forward", label: `${link.from} → ${link.to}` },
        { value: "backward", label: `${link.to} → ${link.from}` },
        { value: "undirected", label: `${link.from} — ${link.to} (no direction)` },
      ],
    },
    ...descriptionFields(link),
  ];
}

/** The categories offered for `layer` (the category select follows the layer select). */
export function categoryOptions(layer, vocab) {
  return (vocab.layers.get(layer) ?? []).map((value) => ({ value, label: vocab.categories.get(value) ?? value }));
}

function yearValue(text) {
  const trimmed = String(text).trim();
  if (trimmed === "") return null;
  const year = Number(trimmed);
  if (!Number.isInteger(year)) throw new Error(`year ${JSON.stringify(trimmed)}: expected a whole year such as 2021`);
  return year;
}

function figureValue(text) {
  const value = Number(String(text).trim());
  if (String(text).trim() === "" || !Number.isFinite(value)) {
    throw new Error(`figure value ${JSON.stringify(String(text))}: expected a number such as 51.6`);
  }
  return value;
}

function aliasList(text) {
  return String(text)
    .split(/[,，、]/)
    .map((alias) => alias.trim())
    .filter((alias) => alias !== "");
}

function same(a, b) {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * The changes a form makes to a proposal, as the review API's `edit` takes them: only the
 * fields whose value differs, an emptied optional field as null.  `values`: a Map of field name
 * to the form's string value.  Throws an Error with a message for a value that cannot be one.
 */
export function changesFrom(entry, values) {
  const kind = entry.proposal?.kind;
  const changes = {};
  if (kind === "record") {
    const record = entry.record ?? {};
    for (const name of ["name_zh_hant", "name_zh_hans", "name_en", "category", "status", ...DESCRIPTION_NAMES]) {
      if (!values.has(name)) continue;
      const value = values.get(name).trim() || null;
      if (!same(value, record[name])) changes[name] = value;
    }
    if (values.has("aliases")) {
      const aliases = aliasList(values.get("aliases"));
      if (!same(aliases, record.aliases ?? [])) changes.aliases = aliases;
    }
    if (values.has("year")) {
      const year = yearValue(values.get("year"));
      if (!same(year, record.year)) changes.year = year;
    }
    if (values.has("layer") && values.get("layer") !== entry.proposal.layer) changes.layer = values.get("layer");
  } else if (kind === "link") {
    const link = entry.link ?? {};
    for (const name of ["link_type", "status", ...DESCRIPTION_NAMES]) {
      if (!values.has(name)) continue;
      const value = values.get(name).trim() || null;
      if (!same(value, link[name])) changes[name] = value;
    }
    if (values.has("year")) {
      const year = yearValue(values.get("year"));
      if (!same(year, link.year)) changes.year = year;
    }
    const direction = values.get("direction");
    if (direction !== undefined && !DIRECTIONS.includes(direction)) throw new Error(`direction ${direction}`);
    if (direction === "backward") Object.assign(changes, { from: link.to, to: link.from, directed: true });
    else if (direction === "forward" && !link.directed) changes.directed = true;
    else if (direction === "undirected" && link.directed) changes.directed = false;
  } else if (kind === "mention" || kind === "figure") {
    const target = values.get("target")?.trim();
    if (target !== undefined && target !== (entry.proposal.target ?? "")) changes.target = target;
    const figure = entry.figure ?? {};
    if (kind === "figure" && values.has("key") && values.get("key") !== figure.key) changes.key = values.get("key");
    if (kind === "figure" && values.has("value")) {
      const value = figureValue(values.get("value"));
      if (value !== figure.value) changes.value = value;
    }
  }
  return changes;
}

/** True when the proposal still needs a position before it can be accepted ("to position"). */
export function needsPosition(entry) {
  return entry.proposal?.kind === "record" && !entry.record?.location && !entry.record?.outline;
}
