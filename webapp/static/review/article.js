/* The article panel: the stored text with every proposal's quote highlighted.  Built with
 * text nodes and <mark> elements only (textContent), never innerHTML: the article is data. */

import { quoteMarks, segments } from "./highlight.js";

/**
 * Render `text` into `container` with the quotes of `proposals` marked.  Each <mark> carries
 * data-proposals (the space-separated ids it belongs to); `onPick(id)` runs when one is clicked.
 * Returns the ids whose offsets do not fit the text.
 */
export function renderArticle(container, text, proposals, onPick) {
  const { segments: parts, invalid } = segments(text, quoteMarks(proposals));
  const fragment = document.createDocumentFragment();
  for (const part of parts) {
    if (part.ids.length === 0) {
      fragment.append(document.createTextNode(part.text));
      continue;
    }
    const mark = document.createElement("mark");
    mark.className = "review-quote";
    mark.dataset.proposals = part.ids.join(" ");
    mark.textContent = part.text;
    mark.addEventListener("click", () => onPick(part.ids[0]));
    fragment.append(mark);
  }
  container.replaceChildren(fragment);
  return invalid;
}

/** Emphasise the marks of proposal `id` (and scroll the first into view); clear the others. */
export function showQuote(container, id) {
  let first = null;
  for (const mark of container.querySelectorAll("mark.review-quote")) {
    const on = id !== null && mark.dataset.proposals.split(" ").includes(id);
    mark.classList.toggle("is-current", on);
    if (on && first === null) first = mark;
  }
  first?.scrollIntoView({ block: "center", behavior: "smooth" });
}

/** The quoted text of a proposal, cut from the article by its offsets ("" when they do not fit). */
export function quotedText(text, proposal) {
  const quote = proposal?.quote;
  if (!quote) return "";
  const { segments: parts, invalid } = segments(text, [{ id: "q", start: quote.start, end: quote.end }]);
  if (invalid.length) return "";
  return parts
    .filter((part) => part.ids.length)
    .map((part) => part.text)
    .join("");
}
