// Heat results and ratings in the admin page: pick a training that has taken place, import its
// RotorHazard results export (JSON or CSV file), decide the callsigns no nickname matched, or
// type the results in; and a city's leaderboard (the opted-in pilots), with a recompute. Loaded
// when the section opens (its own bundle chunk); its texts live here.
import { api, request } from "./api.js";
import { busy, clear, field, h, loading, message, notice } from "./dom.js";
import { when } from "./format.js";
import { TEXTS, getLang, t } from "./i18n.js";

Object.assign(TEXTS, {
  "results.title": ["Результаты и рейтинг", "Results and ratings"],
  "results.training": ["Тренировка", "Training"],
  "results.pick": ["— выберите прошедшую тренировку —", "— pick a training that took place —"],
  "results.none": ["Результатов пока нет.", "No results yet."],
  "results.import": ["Импорт из RotorHazard", "Import from RotorHazard"],
  "results.import.file": ["Файл экспорта (JSON или CSV)", "Export file (JSON or CSV)"],
  "results.import.go": ["Импортировать", "Import"],
  "results.import.hint": ["RotorHazard → Format → Export → «Results» (JSON или CSV). Повторный импорт заменяет прежний.", "RotorHazard → Format → Export → “Results” (JSON or CSV). Importing again replaces the previous import."],
  "results.import.done": ["Загружено результатов: {results}, сопоставлено: {matched}, без пилота: {unmatched}.", "Results loaded: {results}, matched: {matched}, without a pilot: {unmatched}."],
  "results.import.nofile": ["Выберите файл экспорта.", "Choose an export file."],
  "results.unmatched": ["Позывные без пилота", "Callsigns without a pilot"],
  "results.unmatched.hint": ["Укажите ник пилота в боте — его результаты войдут в рейтинг.", "Give the pilot's nickname in the bot: their results join the ratings."],
  "results.match": ["Сопоставить", "Match"],
  "results.matched": ["Позывной {callsign} → {nickname} (строк: {n}).", "Callsign {callsign} → {nickname} ({n} rows)."],
  "results.nickname": ["Ник пилота", "Pilot's nickname"],
  "results.manual": ["Ввести вручную", "Enter by hand"],
  "results.manual.hint": ["Строка на пилота: заезд; место; позывной; круги; лучший круг (0:12.345). Заезды в порядке, в котором летали. Сохранение заменяет прежние ручные результаты.", "One line per pilot: heat; place; callsign; laps; best lap (0:12.345). Heats in the order flown. Saving replaces the earlier manual results."],
  "results.manual.bad": ["Строка {line}: нужно «заезд; место; позывной».", "Line {line}: expected “heat; place; callsign”."],
  "results.saved": ["Сохранено результатов: {results}, без пилота: {unmatched}.", "Saved results: {results}, without a pilot: {unmatched}."],
  "results.col.heat": ["Заезд", "Heat"],
  "results.col.round": ["Раунд", "Round"],
  "results.col.place": ["Место", "Place"],
  "results.col.callsign": ["Позывной", "Callsign"],
  "results.col.laps": ["Круги", "Laps"],
  "results.col.best": ["Лучший круг", "Best lap"],
  "results.col.source": ["Источник", "Source"],
  "results.source.manual": ["вручную", "by hand"],
  "results.source.rotorhazard": ["RotorHazard", "RotorHazard"],
  "lb.title": ["Рейтинг пилотов", "Pilot ratings"],
  "lb.season": ["Сезон", "Season"],
  "lb.show": ["Показать", "Show"],
  "lb.hint": ["Только пилоты, разрешившие показывать ник на сайте (Weng-Lin, Plackett-Luce).", "Only pilots who show their nickname on the site (Weng-Lin, Plackett-Luce)."],
  "lb.col.rating": ["Рейтинг", "Rating"],
  "lb.col.races": ["Заездов", "Races"],
  "lb.col.trainings": ["Тренировок", "Trainings"],
  "lb.col.streak": ["Серия", "Streak"],
  "lb.recompute": ["Пересчитать сезон", "Recompute the season"],
  "lb.recomputed": ["Пересчитано рейтингов: {n}.", "Ratings recomputed: {n}."],
});

export function lapText(ms) {
  if (!ms) return "—";
  const minutes = Math.floor(ms / 60_000);
  const seconds = ((ms % 60_000) / 1000).toFixed(3);
  return minutes ? `${minutes}:${seconds.padStart(6, "0")}` : seconds;
}

// "0:12.345" / "12.345" / "" → milliseconds or null (as the server reads RotorHazard's laps).
export function lapMs(text) {
  const m = /^(?:(\d+):)?(\d+(?:[.,]\d+)?)$/.exec(String(text || "").trim());
  if (!m) return null;
  const ms = Math.round((Number(m[1] || 0) * 60 + Number(m[2].replace(",", "."))) * 1000);
  return ms > 0 ? ms : null;
}

// The manual table: one line per pilot, "heat; place; callsign; laps; best lap". Returns
// {results} or {error: line number}.
export function parseManual(text) {
  const results = [];
  const lines = String(text || "").split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].trim()) continue;
    const cells = lines[i].split(";").map((c) => c.trim());
    const [heat, place, callsign, laps, best] = cells;
    const position = Number(place);
    if (cells.length > 5 || !heat || !callsign || !Number.isInteger(position) || position < 1) return { error: i + 1 };
    const row = { heat, position, callsign, laps: Number.parseInt(laps || "0", 10) || 0 };
    const ms = lapMs(best);
    if (ms) row.fastest_lap_ms = ms;
    results.push(row);
  }
  return { results };
}

export function manualText(rows) {
  return rows
    .filter((r) => r.source === "manual")
    .map((r) => [r.heat, r.position, r.callsign || r.nickname || "", r.laps, r.fastest_lap_ms ? lapText(r.fastest_lap_ms) : ""].join("; "))
    .join("\n");
}

export async function resultsView(root, { venues, cities }) {
  const [list, cityList] = await Promise.all([venues(), cities()]);
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const note = notice();
  const now = new Date();
  const past = await api.get("/api/admin/trainings", { since: new Date(now.getTime() - 365 * 86400_000).toISOString(), until: now.toISOString(), status: "scheduled", limit: 500 });
  past.reverse(); // latest first
  const venueOf = (id) => list.find((v) => v.id === id);
  const chosen = params.get("training") || "";
  const picker = h(
    "select",
    { name: "training", id: "results-training" },
    h("option", { value: "" }, t("results.pick")),
    past.map((r) => h("option", { value: r.id, selected: String(r.id) === chosen }, `${when(r.starts_at, venueOf(r.venue_id)?.time_zone)} · ${r.title} · ${venueOf(r.venue_id)?.name || `#${r.venue_id}`}`)),
  );
  picker.addEventListener("change", () => {
    location.hash = picker.value ? `#/results?training=${picker.value}` : "#/results";
  });
  const body = h("div", { id: "results-body" });
  root.append(h("div", { class: "page-head" }, h("h1", {}, t("results.title"))), note.el, h("div", { class: "filters" }, field(t("results.training"), picker)), body);
  if (chosen) await trainingResults(body, Number(chosen), note);
  root.append(leaderboardSection(cityList, list, note));
}

async function trainingResults(body, trainingId, note) {
  clear(body).append(loading());
  const data = await api.get(`/api/admin/trainings/${trainingId}/results`);
  const reload = () => trainingResults(body, trainingId, note);
  clear(body).append(
    unmatchedCard(trainingId, data.unmatched, note, reload),
    h("section", { class: "card", id: "results-table" }, resultsTable(data.results)),
    importCard(trainingId, note, reload),
    manualCard(trainingId, data.results, note, reload),
  );
}

function resultsTable(rows) {
  if (!rows.length) return message("info", t("results.none"));
  const cols = ["results.col.heat", "results.col.round", "results.col.place", "results.col.callsign", "board.col.pilot", "results.col.laps", "results.col.best", "results.col.source"];
  return h(
    "div",
    { class: "scroll" },
    h(
      "table",
      { class: "list results" },
      h("thead", {}, h("tr", {}, cols.map((k) => h("th", { scope: "col" }, t(k))))),
      h(
        "tbody",
        {},
        rows.map((r) =>
          h(
            "tr",
            { class: r.pilot_id ? null : "unmatched" },
            h("td", { "data-label": t("results.col.heat") }, r.heat),
            h("td", { "data-label": t("results.col.round") }, String(r.round_no)),
            h("td", { "data-label": t("results.col.place") }, String(r.position)),
            h("td", { "data-label": t("results.col.callsign") }, r.callsign || "—"),
            h("td", { "data-label": t("board.col.pilot") }, r.nickname || h("span", { class: "badge bad" }, "?")),
            h("td", { "data-label": t("results.col.laps") }, String(r.laps)),
            h("td", { "data-label": t("results.col.best") }, lapText(r.fastest_lap_ms)),
            h("td", { "data-label": t("results.col.source") }, t(`results.source.${r.source}`)),
          ),
        ),
      ),
    ),
  );
}

function unmatchedCard(trainingId, unmatched, note, reload) {
  if (!unmatched.length) return h("div", { hidden: true });
  return h(
    "section",
    { class: "card", id: "unmatched" },
    h("h2", {}, t("results.unmatched")),
    h("p", { class: "hint" }, t("results.unmatched.hint")),
    unmatched.map((callsign) => {
      const nick = h("input", { required: true, maxlength: 64, name: "nickname", autocomplete: "off" });
      const go = h("button", { type: "submit", class: "primary" }, t("results.match"));
      const form = h("form", { class: "filters", dataset: { callsign } }, h("strong", {}, callsign), field(t("results.nickname"), nick), go);
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        const done = await busy(go, note, () => api.post(`/api/admin/trainings/${trainingId}/results/match`, { callsign, nickname: nick.value.trim() }));
        if (!done) return;
        note.ok(t("results.matched", { callsign, nickname: nick.value.trim(), n: done.matched }));
        await reload();
      });
      return form;
    }),
  );
}

function importCard(trainingId, note, reload) {
  const file = h("input", { type: "file", accept: ".json,.csv,application/json,text/csv", name: "export" });
  const go = h("button", { type: "submit", class: "primary" }, t("results.import.go"));
  const form = h("form", { class: "grid", id: "results-import" }, field(t("results.import.file"), file, t("results.import.hint")), h("div", { class: "actions" }, go));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) {
      note.error(t("results.import.nofile"));
      return;
    }
    const content = await chosen.text();
    const report = await busy(go, note, () => api.post(`/api/admin/trainings/${trainingId}/results/import`, { filename: chosen.name, content }));
    if (!report) return;
    await reload();
    note.ok(t("results.import.done", { results: report.results, matched: report.matched, unmatched: report.unmatched.length }));
  });
  return h("section", { class: "card" }, h("h2", {}, t("results.import")), form);
}

function manualCard(trainingId, rows, note, reload) {
  const text = h("textarea", { rows: 8, name: "manual", spellcheck: "false", placeholder: "Heat 1; 1; Skywalker; 5; 0:12.345" }, manualText(rows));
  const save = h("button", { type: "submit", class: "primary" }, t("common.save"));
  const form = h("form", { class: "grid", id: "results-manual" }, field(t("results.manual"), text, t("results.manual.hint")), h("div", { class: "actions wide" }, save));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const parsed = parseManual(text.value);
    if (parsed.error) {
      note.error(t("results.manual.bad", { line: parsed.error }));
      return;
    }
    const report = await busy(save, note, () => request("PUT", `/api/admin/trainings/${trainingId}/results`, { results: parsed.results }));
    if (!report) return;
    await reload();
    note.ok(t("results.saved", { results: report.results, unmatched: report.unmatched.length }));
  });
  return h("details", { class: "card" }, h("summary", {}, t("results.manual")), form);
}

function leaderboardSection(cityList, venueList, note) {
  const mine = new Set(venueList.map((v) => v.city_id));
  const city = h(
    "select",
    { name: "city", id: "board-city" },
    cityList.map((c) => h("option", { value: c.id, selected: mine.has(c.id) && c.id === venueList[0]?.city_id }, getLang() === "en" ? c.name_en : c.name_ru)),
  );
  const season = h("input", { type: "number", min: 2000, max: 2100, value: new Date().getFullYear(), name: "season" });
  const show = h("button", { type: "submit", class: "primary" }, t("lb.show"));
  const again = h("button", { type: "button", id: "board-recompute" }, t("lb.recompute"));
  const holder = h("div", { id: "board" });
  const load = async () => {
    if (!city.value) return;
    clear(holder).append(loading());
    const board = await busy(show, note, () => api.get("/api/admin/leaderboard", { city_id: city.value, season: season.value }));
    clear(holder);
    if (board) holder.append(boardTable(board.items));
  };
  const form = h("form", { class: "filters", id: "board-form" }, field(t("common.city"), city), field(t("lb.season"), season), show, again);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    load();
  });
  again.addEventListener("click", async () => {
    const done = await busy(again, note, () => api.post("/api/admin/ratings/recompute", { season: Number(season.value) }));
    if (!done) return;
    note.ok(t("lb.recomputed", { n: done.ratings }));
    await load();
  });
  const section = h("section", { class: "card", id: "leaderboard" }, h("h2", {}, t("lb.title")), h("p", { class: "hint" }, t("lb.hint")), form, holder);
  load();
  return section;
}

function boardTable(items) {
  if (!items.length) return message("info", t("common.empty"));
  const cols = ["results.col.place", "board.col.pilot", "lb.col.rating", "lb.col.races", "results.col.best", "lb.col.trainings", "lb.col.streak"];
  return h(
    "table",
    { class: "list board" },
    h("thead", {}, h("tr", {}, cols.map((k) => h("th", { scope: "col" }, t(k))))),
    h(
      "tbody",
      {},
      items.map((r) =>
        h(
          "tr",
          {},
          h("td", { "data-label": t("results.col.place") }, String(r.place)),
          h("td", { "data-label": t("board.col.pilot") }, r.nickname),
          h("td", { "data-label": t("lb.col.rating") }, r.ordinal.toFixed(1)),
          h("td", { "data-label": t("lb.col.races") }, String(r.races)),
          h("td", { "data-label": t("results.col.best") }, lapText(r.best_lap_ms)),
          h("td", { "data-label": t("lb.col.trainings") }, String(r.trainings)),
          h("td", { "data-label": t("lb.col.streak") }, String(r.streak)),
        ),
      ),
    ),
  );
}
