/* The review page (webapp/review.py, docs/review.md): proposal files on the left, the article
 * with the quotes highlighted in the middle, the proposals with accept / edit / reject / place
 * on the right, and a rebuild.  Every text from the data is set with textContent.
 *
 * Test hook (tests/browser/test_review.py): each proposal is an <li data-proposal-id data-kind>,
 * its buttons carry data-action; the page's <body> gets data-state="ready" once a file is shown
 * and "busy" while a request runs.
 */

import { quotedText, renderArticle, showQuote } from "./article.js";
import { categoryOptions, changesFrom, editFields, needsPosition, readVocab } from "./fields.js";
import { createPlacer } from "./place.js";
import { acceptRequest, editRequest, focusUrl, placeRequest, post, rejectRequest, send } from "./requests.js";

const config = JSON.parse(document.getElementById("review-config").textContent);
const vocab = readVocab(config.vocab);
const placer = createPlacer(config, vocab);
const status = document.getElementById("review-status");
const fileList = document.getElementById("review-file-list");
const articleBox = document.getElementById("review-article");
const articleWarning = document.getElementById("review-article-warning");
const proposalList = document.getElementById("review-proposal-list");
const rebuildButton = document.getElementById("review-rebuild");

let current = null; // {name, proposals: [...], text}
let files = []; // the proposal files' summaries, as last listed
// What this session accepted (record or link id -> its title): linked on the map after a rebuild.
const accepted = new Map();

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function say(message, isError = false) {
  status.textContent = message;
  status.classList.toggle("review-error", isError);
  status.setAttribute("role", isError ? "alert" : "status");
}

async function busy(work, message) {
  document.body.dataset.state = "busy";
  // One change at a time: the controls wait while the server validates (accepting compiles the
  // changed tables with the build's own code, which takes a few seconds).
  for (const box of [fileList, proposalList]) box.inert = true;
  rebuildButton.disabled = true;
  if (message) say(message);
  try {
    return await work();
  } catch (error) {
    say(error.message, true);
    return null;
  } finally {
    for (const box of [fileList, proposalList]) box.inert = false;
    rebuildButton.disabled = false;
    document.body.dataset.state = current ? "ready" : "idle";
  }
}

// ---- files -----------------------------------------------------------------------------------

async function loadFiles() {
  const answer = await send({ url: config.urls.files });
  files = answer.files;
  fileList.replaceChildren();
  document.getElementById("review-no-files").hidden = answer.files.length > 0;
  for (const summary of answer.files) {
    const item = element("li");
    const button = element("button", "review-file", summary.name);
    button.type = "button";
    button.dataset.file = summary.name;
    if (current?.name === summary.name) button.setAttribute("aria-current", "true");
    const waiting = Object.values(summary.counts ?? {}).reduce((sum, count) => sum + count, 0);
    button.append(" ", element("span", "review-count", `(${waiting} waiting)`));
    if (summary.title) button.title = summary.title;
    button.addEventListener("click", () => busy(() => openFile(summary.name)));
    item.append(button);
    fileList.append(item);
  }
  return answer.files;
}

async function openFile(name) {
  const answer = await send({ url: `${config.urls.files}/${encodeURIComponent(name)}` });
  const entries = answer.proposals.proposals ?? [];
  current = { name, proposals: entries, text: answer.article.text };
  for (const button of fileList.querySelectorAll("button[data-file]")) {
    button.toggleAttribute("aria-current", button.dataset.file === name);
  }
  const summary = files.find((file) => file.name === name);
  document.getElementById("review-article-title").textContent = `Article: ${summary?.title || name}`;
  const invalid = renderArticle(articleBox, current.text, entries, (id) => select(id));
  const warnings = [];
  if (!answer.article.unchanged) {
    warnings.push("The stored article changed since these proposals were made: the highlights may be off.");
  }
  if (invalid.length) warnings.push(`Quotes that do not fit the article: ${invalid.join(", ")}.`);
  articleWarning.textContent = warnings.join(" ");
  articleWarning.hidden = warnings.length === 0;
  renderProposals();
  document.body.dataset.state = "ready";
}

async function refresh(message) {
  await loadFiles();
  if (current && files.some((summary) => summary.name === current.name)) await openFile(current.name);
  else {
    current = null;
    articleBox.replaceChildren();
    proposalList.replaceChildren();
  }
  say(message);
}

// ---- proposals -------------------------------------------------------------------------------

function title(entry) {
  const kind = entry.proposal.kind;
  if (kind === "record") {
    const record = entry.record ?? {};
    return `${record.name_zh_hant ?? record.id}${record.name_en ? ` · ${record.name_en}` : ""}`;
  }
  if (kind === "link") return `${entry.link?.from} → ${entry.link?.to}`;
  if (kind === "figure") return `${entry.proposal.target}: ${entry.figure?.key} = ${entry.figure?.value}`;
  return `${entry.proposal.target}: another source`;
}

function details(entry) {
  const kind = entry.proposal.kind;
  const list = element("dl", "review-facts");
  const add = (term, value) => {
    if (value === undefined || value === null || value === "") return;
    list.append(element("dt", "", term), element("dd", "", value));
  };
  if (kind === "record") {
    const record = entry.record ?? {};
    add("id", record.id);
    add("layer", entry.proposal.layer);
    add("category", vocab.categories.get(record.category) ?? record.category);
    add("status", record.status);
    add("year", record.year);
    add("aliases", (record.aliases ?? []).join(", "));
    const location = record.location;
    if (location?.place) add("position", `${location.place} (${location.precision})`);
    else if (location) add("position", `${location.lon}, ${location.lat} ${location.datum} (${location.precision})`);
    else add("position", "to position: place it on the map");
  } else if (kind === "link") {
    const link = entry.link ?? {};
    add("id", link.id);
    add("link type", vocab.link_types.get(link.link_type) ?? link.link_type);
    add("status", link.status);
    add("year", link.year);
    add("direction", link.directed ? `${link.from} → ${link.to}` : "no direction");
  }
  add("evidence", entry.proposal.evidence);
  return list;
}

function editForm(entry) {
  const fields = editFields(entry, vocab);
  if (fields.length === 0) return null;
  const box = element("details", "review-edit");
  box.append(element("summary", "", "Edit"));
  const form = element("form", "review-edit-form");
  for (const field of fields) {
    const label = element("label", "", field.label);
    let input;
    if (field.kind === "select") {
      input = element("select");
      for (const option of field.options) input.append(new Option(option.label, option.value));
      if (!field.options.some((option) => option.value === field.value)) input.append(new Option("—", ""));
    } else if (field.kind === "textarea") {
      input = element("textarea");
      input.rows = 2;
    } else {
      input = element("input");
      input.type = field.kind === "number" ? "number" : "text";
      if (field.kind === "number") input.step = "any";
    }
    input.name = field.name;
    input.value = String(field.value);
    label.append(input);
    form.append(label);
  }
  const layer = form.elements.namedItem("layer");
  const category = form.elements.namedItem("category");
  layer?.addEventListener("change", () => {
    category.replaceChildren(...categoryOptions(layer.value, vocab).map((o) => new Option(o.label, o.value)));
  });
  const saveButton = element("button", "", "Save changes");
  saveButton.type = "submit";
  saveButton.dataset.action = "edit";
  form.append(saveButton);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(async () => {
      const changes = changesFrom(entry, formValues(form));
      if (Object.keys(changes).length === 0) return say("Nothing changed.");
      await send(editRequest(config.urls.files, current.name, entry.proposal.id, changes));
      await refresh(`Saved the changes to ${entry.proposal.id}.`);
    });
  });
  box.append(form);
  return box;
}

function formValues(form) {
  return new Map([...new FormData(form)].map(([name, value]) => [name, String(value)]));
}

function actionButton(label, action, handler, working) {
  const button = element("button", `review-${action}`, label);
  button.type = "button";
  button.dataset.action = action;
  button.addEventListener("click", () => busy(handler, working));
  return button;
}

function proposalItem(entry) {
  const { id, kind } = entry.proposal;
  const item = element("li", "review-proposal");
  item.dataset.proposalId = id;
  item.dataset.kind = kind;
  item.tabIndex = -1;
  const head = element("div", "review-proposal-head");
  head.append(element("span", "review-kind", kind), element("strong", "", title(entry)));
  item.append(head);
  const checks = entry.proposal.check ?? [];
  if (checks.length) {
    const list = element("ul", "review-check");
    list.setAttribute("aria-label", "What to check");
    for (const check of checks) list.append(element("li", "", vocab.checks.get(check) ?? check));
    item.append(list);
  }
  const quote = quotedText(current.text, entry.proposal);
  if (quote) item.append(element("blockquote", "review-quote-text", quote));
  item.append(details(entry));
  const editBox = editForm(entry);
  if (editBox) item.append(editBox);
  const form = editBox?.querySelector("form");
  const buttons = element("div", "review-buttons");
  const toPosition = needsPosition(entry);
  const accept = actionButton(
    "Accept",
    "accept",
    async () => {
      const edits = form ? changesFrom(entry, formValues(form)) : {};
      const request = acceptRequest(config.urls.files, current.name, id, Object.keys(edits).length ? edits : null);
      const answer = await send(request);
      if (answer.result?.record) accepted.set(answer.result.record, title(entry));
      await refresh(`Accepted ${id}: it is in the sources now; rebuild to see it on the map.`);
    },
    `Accepting ${id}: checking it with the build…`,
  );
  if (toPosition) {
    accept.disabled = true;
    accept.title = "Place it on the map first";
  }
  buttons.append(accept);
  if (toPosition && vocab.point_layers.includes(entry.proposal.layer)) {
    buttons.append(
      actionButton("Place on map", "place", async () => {
        const choice = await placer.pick(title(entry));
        if (!choice) return say("Placing cancelled.");
        await send(placeRequest(config.urls.files, current.name, id, choice));
        await refresh(`Placed ${id}; check the position, then accept it.`);
      }),
    );
  }
  buttons.append(
    actionButton("Reject", "reject", async () => {
      await send(rejectRequest(config.urls.files, current.name, id));
      await refresh(`Rejected ${id}: removed from the proposals.`);
    }),
  );
  item.append(buttons);
  item.addEventListener("click", (event) => {
    if (!event.target.closest("button, input, select, summary, label")) select(id);
  });
  return item;
}

function renderProposals() {
  proposalList.replaceChildren(...current.proposals.map(proposalItem));
}

function select(id) {
  for (const item of proposalList.querySelectorAll("li[data-proposal-id]")) {
    const on = item.dataset.proposalId === id;
    item.classList.toggle("is-current", on);
    if (on) item.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }
  showQuote(articleBox, id);
}

// ---- rebuild ---------------------------------------------------------------------------------

function showAccepted() {
  const list = document.getElementById("review-accepted");
  list.replaceChildren(
    ...[...accepted].map(([id, label]) => {
      const item = element("li");
      const link = element("a", "", label);
      link.href = focusUrl(config.urls.map, id);
      link.target = "_blank";
      link.rel = "noopener";
      link.dataset.id = id;
      item.append(link);
      return item;
    }),
  );
  document.getElementById("review-accepted-box").hidden = accepted.size === 0;
}

rebuildButton.addEventListener("click", () =>
  busy(async () => {
    const answer = await send(post(config.urls.rebuild, {}));
    say(
      answer.served
        ? "Rebuilt: the map now shows the accepted records."
        : "Rebuilt the GeoJSON files; load them into the database (python -m geo load) to publish them.",
    );
    if (answer.served) showAccepted();
  }, "Rebuilding the map data…"),
);

busy(async () => {
  await loadFiles();
  if (files.length) await openFile(files[0].name);
});
