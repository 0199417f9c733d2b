/* The "as of year" timeline: a slider over the data's years, and playback year by year. */

import { byId } from "./dom.js";

const PLAY_STEP = 900; // ms per year when the timeline plays

export function createTimeline({ config, store, dataset, i18n }) {
  const timeline = config.timeline;
  const section = byId("gba-timeline");
  if (!section || !timeline || timeline.first >= timeline.last) return null;
  const input = byId("gba-year");
  const play = byId("gba-play");
  let frame = null;
  let playTimer = null;

  /** The year the slider shows: the chosen one, or the latest. */
  const shownYear = () => (store.state.year === null ? timeline.last : store.state.year);

  function sync() {
    const year = shownYear();
    const label = store.state.year === null ? `${year} (${i18n.t("latest")})` : String(year);
    if (Number(input.value) !== year) input.value = String(year);
    input.setAttribute("aria-valuetext", label);
    byId("gba-year-output").textContent = label;
    const undated = dataset.records.filter((record) => typeof record.p.year !== "number").length;
    byId("gba-timeline-note").textContent = i18n.t("timeline_note", { n: undated });
  }

  function stop() {
    clearInterval(playTimer);
    playTimer = null;
    play.setAttribute("aria-pressed", "false");
    play.textContent = i18n.t("play");
  }

  function start() {
    if (shownYear() >= timeline.last) store.setYear(timeline.first);
    play.setAttribute("aria-pressed", "true");
    play.textContent = i18n.t("pause");
    playTimer = setInterval(() => {
      const next = shownYear() + 1;
      store.setYear(next);
      if (next >= timeline.last) stop();
    }, PLAY_STEP);
  }

  section.hidden = false;
  input.min = String(timeline.first);
  input.max = String(timeline.last);
  input.value = String(shownYear());
  input.addEventListener("input", () => {
    // Coalesced to one update a frame, however fast the slider moves.
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = null;
      store.setYear(Number(input.value));
    });
  });
  play.addEventListener("click", () => (playTimer ? stop() : start()));
  store.subscribe((state, previous) => {
    if (state.year !== previous.year) sync();
  });
  sync();
  return { sync };
}
