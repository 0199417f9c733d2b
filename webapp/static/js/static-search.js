/* Search without a server, for the static export: the same answers as /api/search
 * (webapp/search.py) from the export's search file (webapp/static_export.py search_data).
 *
 * The file holds every record's fields already folded by the server's own code: Chinese to
 * Simplified character by character (``folds`` maps each Traditional or variant character of
 * the data to its key, so a query is folded here with the same map), English as folded
 * words, and the toneless pinyin syllables of the Chinese names.  A query is split into
 * terms that must all match; a Chinese term matches anywhere in a field's Chinese, a Latin
 * term at a word or syllable start of its English or pinyin; exact beats prefix beats
 * inside, weighted by the field's kind, as webapp/search.py scores them.  Pure: no DOM.
 */

const HAN = /[\u3400-\u9fff\uf900-\ufaff]/u;

export function hasHan(text) {
  return HAN.test(text);
}

/** Latin text for matching: no tone marks, case, spaces or punctuation ("Píng-Shān" → "pingshan"). */
export function foldLatin(text) {
  return text
    .toLowerCase()
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .replace(/[^a-z]/g, "");
}

/** Chinese text's key: each character through ``folds`` (else width- and case-folded), no spaces. */
export function foldHan(text, folds) {
  let out = "";
  for (const char of text) {
    const folded = folds.get(char) ?? char.normalize("NFKC").toLowerCase();
    out += folded.replace(/\s+/gu, "");
  }
  return out;
}

const codeLength = (text) => [...text].length;

/** The distinct terms to search (at most ``maxTerms``) and the distinct ones left out. */
export function queryTerms(query, folds, maxTerms) {
  const terms = [];
  const seen = new Set();
  for (const term of query.split(/\s+/u)) {
    if (!term) continue;
    const key = hasHan(term) ? foldHan(term, folds) : foldLatin(term);
    if (key && !seen.has(key)) {
      seen.add(key);
      terms.push(term);
    }
  }
  return { terms: terms.slice(0, maxTerms), ignored: terms.slice(maxTerms) };
}

function wordText(spaced) {
  const words = spaced ? spaced.split(" ") : [];
  const starts = [];
  let at = 0;
  for (const word of words) {
    starts.push(at);
    at += word.length;
  }
  return { text: words.join(""), starts };
}

/** A matcher over the search file's data: ``find(query, limit)`` → {results, total, ignored}. */
export function createMatcher(data) {
  const folds = new Map(Object.entries(data.folds || {}));
  const { exact, prefix, inside } = data.quality;
  const fields = data.fields.map(([kind, han, latin, pinyin]) => ({
    weight: data.weights[kind],
    han,
    hanLength: codeLength(han),
    latin: wordText(latin),
    pinyin: wordText(pinyin),
  }));
  const entries = data.entries.map(([layer, fieldIds, row]) => ({ layer: data.layers[layer], fieldIds, row }));

  function score(field, found, position, length, needleLength) {
    if (!found) return 0;
    const quality = position === 0 ? (length === needleLength ? exact : prefix) : inside;
    return field.weight * quality + needleLength / length;
  }

  function hanScore(field, needle, needleLength) {
    if (!field.hanLength) return 0;
    const position = field.han.indexOf(needle);
    return score(field, position >= 0, position, field.hanLength, needleLength);
  }

  function wordScore(field, words, needle) {
    let best = 0;
    for (const start of words.starts) {
      if (words.text.startsWith(needle, start)) {
        best = Math.max(best, score(field, true, start, words.text.length, needle.length));
        if (start === 0) break; // nothing scores higher than a match at the start
      }
    }
    return best;
  }

  /** Each field's score for one term, or null when no field matches. */
  function fieldScores(term) {
    const out = new Float64Array(fields.length);
    let any = false;
    if (hasHan(term)) {
      const needle = foldHan(term, folds);
      const needleLength = codeLength(needle);
      fields.forEach((field, i) => {
        out[i] = hanScore(field, needle, needleLength);
        any ||= out[i] > 0;
      });
    } else {
      const needle = foldLatin(term);
      if (!needle) return null;
      fields.forEach((field, i) => {
        out[i] = Math.max(wordScore(field, field.latin, needle), wordScore(field, field.pinyin, needle));
        any ||= out[i] > 0;
      });
    }
    return any ? out : null;
  }

  /** Each entry's score for one term: its best field's (null when no entry matches). */
  function termScores(term) {
    const scores = fieldScores(term);
    if (!scores) return null;
    return entries.map((entry) => entry.fieldIds.reduce((best, id) => Math.max(best, scores[id]), 0));
  }

  function summary(entry) {
    const keys = data.summaryKeys[entry.layer === data.linkLayer ? "link" : "point"];
    return new Map(keys.map((key, i) => [key, entry.row[i]]));
  }

  function find(query, limit = data.maxResults) {
    const { terms, ignored } = queryTerms(query, folds, data.maxTerms);
    if (!terms.length || !entries.length) return { results: [], total: 0, ignored };
    let total = new Array(entries.length).fill(0);
    let everyTerm = new Array(entries.length).fill(true);
    for (const term of terms) {
      const scores = termScores(term);
      if (!scores) {
        everyTerm = everyTerm.map(() => false);
        break;
      }
      total = total.map((value, i) => value + scores[i]);
      everyTerm = everyTerm.map((value, i) => value && scores[i] > 0);
      if (!everyTerm.some(Boolean)) break;
    }
    total = total.map((value, i) => (everyTerm[i] ? value : 0));
    // A spaced Latin phrase ("Ping Shan") also counts as one squashed term ("pingshan").
    if (terms.length > 1 && !terms.some(hasHan)) {
      const joined = termScores(terms.join(""));
      if (joined) total = total.map((value, i) => Math.max(value, joined[i] * terms.length));
    }
    const matched = [];
    total.forEach((value, i) => {
      if (value > 0) matched.push(i);
    });
    matched.sort((a, b) => total[b] - total[a] || a - b);
    const results = matched.slice(0, Math.min(limit, data.maxResults)).map((i) => ({
      ...Object.fromEntries(summary(entries[i])),
      score: Math.round(total[i] * 100) / 100,
    }));
    return { results, total: matched.length, ignored };
  }

  return { find };
}
