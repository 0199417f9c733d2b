/* Small DOM helpers: text only (textContent and setAttribute), never HTML from data. */

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export function byId(id) {
  return document.getElementById(id);
}

/** A small coloured mark for a layer kind ("point" | "polygon" | "link"), hidden from screen readers. */
export function icon(kind, colour) {
  const mark = el("span", `gba-icon gba-icon-${kind}`);
  mark.style.setProperty("--gba-colour", colour);
  mark.setAttribute("aria-hidden", "true");
  return mark;
}

/** A <dt>/<dd> pair, left out when there is no value. */
export function addRow(list, label, value) {
  if (value === null || value === undefined || value === "") return;
  list.appendChild(el("dt", null, label));
  list.appendChild(el("dd", null, value));
}

/** The <li> of one source: title, publisher and date, quote. */
export function sourceItem(source) {
  const item = el("li");
  item.appendChild(el("cite", null, source.title));
  const where = [source.publisher, source.date].filter(Boolean).join(", ");
  if (where) item.appendChild(el("span", "gba-source-where", ` — ${where}`));
  if (source.quote) item.appendChild(el("blockquote", "gba-quote", source.quote));
  return item;
}

export function sourceList(sources) {
  const list = el("ol", "gba-sources");
  for (const source of sources || []) list.appendChild(sourceItem(source));
  return list;
}
