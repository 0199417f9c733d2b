/* The one URL grammar, read from the server's tables (config.queryables and config.params).
 *
 * parseQuery turns a query string into the canonical object the server also produces
 * (tests/cases/query_cases.json runs against both); compileMatcher turns the filters
 * of such an object into a test of a record's properties.  Nothing here names a
 * filter or a value: every name, kind, range and vocabulary comes from the tables.
 * Pure: no Leaflet, no DOM.
 */

/** A bad parameter; ``param`` names it (as the server's 400 does). */
export class QueryError extends Error {
  constructor(param, message) {
    super(`${param}: ${message}`);
    this.name = "QueryError";
    this.param = param;
  }
}

const TRUE_WORDS = new Set(["true", "1", "yes"]);
const FALSE_WORDS = new Set(["false", "0", "no"]);
const LANGS = new Map([
  ["zh-hant", "zh-Hant"],
  ["zh-hans", "zh-Hans"],
  ["en", "en"],
  ["zh-tw", "zh-Hant"],
  ["zh-hk", "zh-Hant"],
  ["zh-mo", "zh-Hant"],
  ["zh", "zh-Hans"],
  ["zh-cn", "zh-Hans"],
  ["zh-sg", "zh-Hans"],
]);
// The one strict grammar of numbers (webapp/queryables.py): ASCII digits, an optional leading "-",
// fraction and exponent; no leading "+", "_", spaces, nan or inf; at most MAX_NUMBER_CHARS characters.
const WHOLE = /^-?[0-9]+$/;
const DECIMAL = /^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
const MAX_NUMBER_CHARS = 32;
const written = (pattern, text) => text.length <= MAX_NUMBER_CHARS && pattern.test(text);

/** Every parameter the tables know, by name: the queryables (filters) and the page's own. */
export function parameterTable(tables) {
  const table = new Map();
  for (const spec of [...(tables.queryables || []), ...(tables.params || [])]) table.set(spec.name, spec);
  return table;
}

/** A URL language tag (any case, regional forms included) as zh-Hant | zh-Hans | en; null when not one. */
export function normaliseLang(value) {
  const lowered = String(value).trim().toLowerCase();
  if (LANGS.has(lowered)) return LANGS.get(lowered);
  if (lowered.startsWith("zh-hant-")) return "zh-Hant";
  if (lowered.startsWith("zh-hans-")) return "zh-Hans";
  if (lowered.startsWith("en-")) return "en";
  return null;
}

/** The nearest whole number, halves up (11.5 → 12, 12.5 → 13), as the server rounds (floor(x + 0.5)). */
export function roundHalfUp(x) {
  return Math.floor(x + 0.5);
}

function choices(spec, raw, values) {
  const lookup = new Map(values.map((value) => [String(value).toLowerCase(), value]));
  const chosen = [];
  for (const part of raw === "" ? [] : raw.split(",")) {
    const key = part.trim().toLowerCase();
    if (!key) throw new QueryError(spec.name, `${JSON.stringify(raw)} has an empty item`);
    if (!lookup.has(key)) throw new QueryError(spec.name, `${JSON.stringify(part.trim())} is not known`);
    const value = lookup.get(key);
    if (!chosen.includes(value)) chosen.push(value);
  }
  return chosen;
}

function number(spec, raw) {
  if (!written(DECIMAL, raw)) throw new QueryError(spec.name, `${JSON.stringify(raw)} is not a number`);
  const value = Number(raw);
  const min = spec.min ?? Number.NEGATIVE_INFINITY;
  const max = spec.max ?? Number.POSITIVE_INFINITY;
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new QueryError(spec.name, `${raw} is not within ${min}..${max}`);
  }
  return spec.round ? roundHalfUp(value) : value;
}

function bbox(spec, raw) {
  const parts = raw.split(",");
  if (parts.length !== 4) throw new QueryError(spec.name, "give minLon,minLat,maxLon,maxLat");
  const box = parts.map((part) => number({ name: spec.name }, part));
  const [minLon, minLat, maxLon, maxLat] = box;
  const lonOk = (v) => v >= -180 && v <= 180;
  const latOk = (v) => v >= -90 && v <= 90;
  if (!(lonOk(minLon) && lonOk(maxLon) && latOk(minLat) && latOk(maxLat))) {
    throw new QueryError(spec.name, "longitudes within ±180, latitudes within ±90");
  }
  if (minLat > maxLat) throw new QueryError(spec.name, "minLat is larger than maxLat");
  // minLon > maxLon is a box across the antimeridian (OGC API – Features Part 1, 7.15.3), as on the server.
  return box;
}

function parseValue(spec, raw) {
  switch (spec.kind) {
    case "enum":
    case "layers":
      return choices(spec, raw, spec.values || []);
    case "boolean": {
      const word = raw.trim().toLowerCase();
      if (TRUE_WORDS.has(word)) return true;
      if (FALSE_WORDS.has(word)) return false;
      throw new QueryError(spec.name, `${JSON.stringify(raw)} is not true or false`);
    }
    case "year": {
      const year = written(WHOLE, raw) ? Number(raw) : Number.NaN;
      if (!(year >= (spec.min ?? 1900) && year <= (spec.max ?? 2100))) {
        throw new QueryError(spec.name, `${JSON.stringify(raw)} is not a year from ${spec.min} to ${spec.max}`);
      }
      return year;
    }
    case "number":
      return number(spec, raw);
    case "bbox":
      return bbox(spec, raw);
    case "choice": {
      const found = choices(spec, raw, spec.values || []);
      if (found.length !== 1) throw new QueryError(spec.name, `${JSON.stringify(raw)}: give one value`);
      return found[0];
    }
    case "lang":
      return normaliseLang(raw);
    default:
      return raw.trim();
  }
}

function checkCombinations(query) {
  const has = (name) => Object.hasOwn(query, name);
  if (has("lat") && !has("lon")) throw new QueryError("lat", "lat and lon go together");
  if (has("lon") && !has("lat")) throw new QueryError("lon", "lat and lon go together");
  if (has("bbox") && (has("lat") || has("zoom"))) throw new QueryError("bbox", "give bbox or lat,lon,zoom");
  if (has("focus") && (has("bbox") || has("lat") || has("lon"))) {
    throw new QueryError("focus", "focus centres the map: drop bbox/lat/lon");
  }
  if (has("focus") && has("select")) throw new QueryError("focus", "focus already selects its feature");
  if (has("zoom") && !has("lat") && !has("focus")) throw new QueryError("zoom", "zoom needs lat and lon, or focus");
}

/**
 * Parse ``search`` (a URLSearchParams or a query string) against the tables.
 * Returns an object holding only the parameters given; throws a QueryError naming the
 * first bad one.  Unknown names are ignored (a page's rule), or errors with ``strict``.
 */
export function parseQuery(search, tables, { strict = false } = {}) {
  const params = typeof search === "string" ? new URLSearchParams(search) : search;
  const table = parameterTable(tables);
  const seen = new Map();
  for (const [name, value] of params) {
    if (!table.has(name)) {
      if (strict) throw new QueryError(name, "unknown parameter");
      continue;
    }
    if (seen.has(name)) throw new QueryError(name, "given more than once");
    seen.set(name, value);
  }
  const query = {};
  for (const [name, raw] of seen) {
    const spec = table.get(name);
    if (raw === "") {
      if (spec.kind === "layers") query[name] = [];
      continue;
    }
    const value = parseValue(spec, raw);
    if (value === null) continue; // a language we do not serve: the server picks one
    if (Array.isArray(value) && !value.length && spec.kind !== "layers") continue;
    query[name] = value;
  }
  checkCombinations(query);
  return query;
}

function queryValue(query, name) {
  if (query instanceof Map) return query.get(name);
  return Object.hasOwn(query, name) ? query[name] : undefined;
}

function own(properties, name) {
  return properties && Object.hasOwn(properties, name) ? properties[name] : undefined;
}

function carriesOneOf(value, wanted) {
  if (value === null || value === undefined) return false;
  if (Array.isArray(value)) return value.some((item) => wanted.has(item));
  return wanted.has(value);
}

/**
 * A test of a record's properties for the filters in ``query`` (a parse result, or a Map).
 * A record matches a filter when one of the queryable's ``properties`` (scalar or list)
 * holds one of the wanted values; lacking them all, it never matches.  Filters combine
 * with AND; a year filter means "as of": records without a year pass.
 */
export function compileMatcher(query, queryables) {
  const tests = [];
  for (const queryable of queryables) {
    const wanted = queryValue(query, queryable.name);
    if (wanted === undefined || wanted === null) continue;
    const names = queryable.properties || [queryable.name];
    if (queryable.kind === "enum") {
      const set = new Set(wanted);
      if (set.size) tests.push((p) => names.some((name) => carriesOneOf(own(p, name), set)));
    } else if (queryable.kind === "boolean") {
      tests.push((p) => names.some((name) => own(p, name) === wanted));
    } else if (queryable.kind === "year") {
      tests.push((p) =>
        names.every((name) => {
          const year = own(p, name);
          return typeof year !== "number" || year <= wanted;
        }),
      );
    }
  }
  return (properties) => tests.every((test) => test(properties));
}

/**
 * The records a query selects: the filters, and the layers when given.  Each record is
 * judged by its own layer only: a link is shown when the links layer is on and the link
 * passes, whether or not its endpoints' layers are (the download applies the same rule).
 */
export function compileRecordFilter(query, tables) {
  const matches = compileMatcher(query, tables.queryables || []);
  const layersParam = (tables.params || []).find((spec) => spec.kind === "layers");
  const layers = layersParam ? queryValue(query, layersParam.name) : undefined;
  const onLayer = layers ? new Set(layers) : null;
  return (properties) => (!onLayer || onLayer.has(own(properties, "layer"))) && matches(properties);
}
