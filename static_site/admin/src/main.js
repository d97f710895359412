// The admin page: a small hash-routed app over the admin API (DESIGN §9). Russian first, an
// English switch; every view shows a loading state, API errors in words, and asks before
// anything destructive.
import "./style.css";
import { api, ApiError, setCsrf, whenUnauthorized } from "./api.js";
import { busy, clear, confirmDialog, field, h, loading, message, notice } from "./dom.js";
import { price, rub, stamp, venueLocalToIso, isoToVenueLocal, when } from "./format.js";
import { getLang, setLang, t } from "./i18n.js";
import { analogChannels, imdRating, minSpacing } from "./imd.js";
import { exportControls } from "./exports.js";
import { channelOptions, optionsMoveControl } from "./channel-options.js";

const state = { me: null, venues: null, cities: null, paths: null, schemas: null, loginNote: null, newKey: null, flash: null };
const main = () => document.getElementById("main");
let renderSeq = 0;

// --- shell ------------------------------------------------------------------------------------
function navItems() {
  const items = [
    ["#/trainings", "nav.trainings"],
    ["#/dashboard", "nav.dashboard"],
    ["#/venues", "nav.venues"],
    ["#/pilots", "nav.pilots"],
    ["#/passes", "nav.passes"],
    ["#/results", "nav.results"],
    ["#/audit", "nav.audit"],
  ];
  if (state.me?.role === "superadmin") items.push(["#/admins", "nav.admins"], ["#/api-keys", "nav.keys"]);
  return items;
}

function renderHeader() {
  const top = clear(document.getElementById("top"));
  const current = location.hash.split("/").slice(0, 2).join("/");
  const langButton = h(
    "button",
    { type: "button", class: "ghost lang", lang: getLang() === "ru" ? "en" : "ru", "aria-label": t("app.lang"), onclick: switchLanguage },
    t("app.lang.short"),
  );
  const brand = h("a", { class: "brand", href: "#/trainings" }, h("span", { class: "logo", "aria-hidden": "true" }, "FPV"), h("span", {}, t("app.title").replace(/^FPV — /, "")));
  if (!state.me) {
    top.append(h("div", { class: "bar" }, brand, h("div", { class: "tools" }, langButton)));
    return;
  }
  const nav = h(
    "nav",
    { id: "nav", "aria-label": t("app.menu") },
    h("ul", {}, navItems().map(([href, key]) => h("li", {}, h("a", { href, "aria-current": current === href ? "page" : null }, t(key))))),
  );
  const toggle = h(
    "button",
    {
      type: "button",
      class: "ghost menu-toggle",
      "aria-controls": "nav",
      "aria-expanded": "false",
      onclick: (e) => {
        const open = e.currentTarget.getAttribute("aria-expanded") !== "true";
        e.currentTarget.setAttribute("aria-expanded", String(open));
        nav.classList.toggle("open", open);
      },
    },
    "☰ ",
    t("app.menu"),
  );
  const who = h("span", { class: "who" }, state.me.login || "", " · ", t(`role.${state.me.role}`));
  const out = h("button", { type: "button", class: "ghost", onclick: logout }, t("app.logout"));
  top.append(h("div", { class: "bar" }, brand, toggle, h("div", { class: "tools" }, who, langButton, out)), nav);
}

function switchLanguage() {
  setLang(getLang() === "ru" ? "en" : "ru");
  document.title = t("app.title");
  render();
  document.querySelector("button.lang")?.focus();
}

async function logout() {
  try {
    await api.post("/api/admin/logout");
  } catch {
    /* the session is gone either way */
  }
  setCsrf(null);
  state.me = null;
  state.venues = null;
  location.hash = "#/login";
}

whenUnauthorized((error) => {
  if (!state.me) return;
  setCsrf(null);
  state.me = null;
  state.loginNote = error?.message || t("error.session");
  location.hash = "#/login";
  render();
});

// --- shared data ------------------------------------------------------------------------------
async function venues() {
  if (!state.venues) state.venues = await api.get("/api/admin/venues");
  return state.venues;
}

async function cities() {
  if (!state.cities) state.cities = await api.get("/api/admin/cities");
  return state.cities;
}

// The API's own description: which optional operations (exports, stats) this server offers.
async function openapi() {
  if (!state.paths) {
    try {
      const doc = await api.get("/api/openapi.json");
      state.paths = doc.paths || {};
      state.schemas = doc.components?.schemas || {};
    } catch {
      state.paths = {};
      state.schemas = {};
    }
  }
  return state.paths;
}

function venueById(list, id) {
  return list.find((v) => v.id === id);
}

function venueSelect(list, { all = false, value, required = true } = {}) {
  const select = h(
    "select",
    { required: required && !all },
    all ? h("option", { value: "" }, t("common.all")) : null,
    list.map((v) => h("option", { value: v.id, selected: String(v.id) === String(value ?? "") }, v.name)),
  );
  return select;
}

function trackSelect(value = "race") {
  return h("select", {}, ["race", "freestyle", "whoop", "open"].map((k) => h("option", { value: k, selected: k === value }, t(`track.${k}`))));
}

function num(input) {
  return input.value === "" ? undefined : Number(input.value);
}

function pageHead(titleKey, ...actions) {
  return h("div", { class: "page-head" }, h("h1", {}, t(titleKey)), actions.length ? h("div", { class: "actions" }, actions) : null);
}

// --- login ------------------------------------------------------------------------------------
function loginView(root) {
  const note = notice();
  if (state.loginNote) {
    note.error(state.loginNote);
    state.loginNote = null;
  }
  const login = h("input", { name: "login", autocomplete: "username", required: true, autocapitalize: "off", spellcheck: "false" });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const next = h("button", { type: "submit", class: "primary" }, t("login.next"));
  const card = h("section", { class: "card login" }, h("h1", {}, t("login.title")));
  const first = h("form", { id: "login-form" }, field(t("login.login"), login), field(t("login.password"), password), next);
  first.addEventListener("submit", async (e) => {
    e.preventDefault();
    const answer = await busy(next, note, () => api.post("/api/admin/login", { login: login.value.trim(), password: password.value }));
    if (answer?.challenge) showCode(answer.challenge);
  });

  function showCode(challenge) {
    const code = h("input", {
      name: "code",
      inputmode: "numeric",
      autocomplete: "one-time-code",
      pattern: "[0-9]{6}",
      maxlength: "6",
      required: true,
      title: t("login.code.format"),
    });
    const verify = h("button", { type: "submit", class: "primary" }, t("login.verify"));
    const again = h("button", { type: "button", class: "ghost", onclick: () => render() }, t("login.again"));
    const second = h("form", { id: "code-form" }, message("info", t("login.sent")), field(t("login.code"), code), h("div", { class: "actions" }, again, verify));
    second.addEventListener("submit", async (e) => {
      e.preventDefault();
      const answer = await busy(verify, note, () => api.post("/api/admin/login/verify", { challenge, code: code.value.trim() }));
      if (!answer?.csrf) return;
      setCsrf(answer.csrf);
      state.me = await api.get("/api/admin/me");
      location.hash = "#/trainings";
    });
    first.replaceWith(second);
    note.clear();
    code.focus();
  }

  card.append(note.el, first);
  root.append(card);
  login.focus();
}

// --- trainings --------------------------------------------------------------------------------
async function trainingsView(root) {
  const [list] = await Promise.all([venues()]);
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const venue = venueSelect(list, { all: true, value: params.get("venue") || "" });
  const past = params.get("past") === "1";
  const tabs = h(
    "div",
    { class: "tabs", role: "group" },
    h("a", { href: `#/trainings?venue=${venue.value}`, "aria-current": past ? null : "page" }, t("trainings.upcoming")),
    h("a", { href: `#/trainings?venue=${venue.value}&past=1`, "aria-current": past ? "page" : null }, t("trainings.past")),
  );
  venue.addEventListener("change", () => {
    location.hash = `#/trainings?venue=${venue.value}${past ? "&past=1" : ""}`;
  });
  root.append(
    pageHead("trainings.title", h("a", { class: "button primary", href: "#/trainings/new" }, t("trainings.new")), h("a", { class: "button", href: "#/trainings/series" }, t("trainings.series"))),
    h("div", { class: "filters" }, field(t("common.venue"), venue), tabs),
  );
  const holder = h("div", {}, loading());
  root.append(holder);
  const now = new Date();
  const query = { venue_id: venue.value, limit: 200 };
  if (past) {
    query.since = new Date(now.getTime() - 180 * 86400_000).toISOString();
    query.until = now.toISOString();
  } else query.since = now.toISOString();
  const rows = await api.get("/api/admin/trainings", query);
  if (past) rows.reverse();
  clear(holder).append(trainingTable(rows, list));
}

function trainingTable(rows, list) {
  if (!rows.length) return message("info", t("common.empty"));
  return h(
    "table",
    { class: "list trainings" },
    h("thead", {}, h("tr", {}, ["trainings.col.when", "trainings.col.title", "common.venue", "training.field.track", "trainings.col.seats", "trainings.col.price"].map((k) => h("th", { scope: "col" }, t(k))))),
    h(
      "tbody",
      {},
      rows.map((r) => {
        const v = venueById(list, r.venue_id);
        return h(
          "tr",
          { class: r.status === "cancelled" ? "cancelled" : null, dataset: { training: r.id } },
          h("td", { "data-label": t("trainings.col.when") }, when(r.starts_at, v?.time_zone)),
          h(
            "td",
            { "data-label": t("trainings.col.title") },
            h("a", { href: `#/trainings/${r.id}` }, r.title),
            r.status === "cancelled" ? h("span", { class: "badge bad" }, t("trainings.cancelled")) : null,
          ),
          h("td", { "data-label": t("common.venue") }, v?.name || `#${r.venue_id}`),
          h("td", { "data-label": t("training.field.track") }, t(`track.${r.track_type}`)),
          h("td", { "data-label": t("trainings.col.seats") }, seatsBar(r.seats_taken, r.capacity)),
          h("td", { "data-label": t("trainings.col.price") }, price(r.price_kopecks)),
        );
      }),
    ),
  );
}

function seatsBar(taken, capacity) {
  const pct = capacity ? Math.min(100, Math.round((100 * taken) / capacity)) : 0;
  return h(
    "span",
    { class: "seats" },
    h("meter", { min: 0, max: capacity, value: taken, "aria-hidden": "true" }),
    h("span", {}, t("trainings.seats", { taken, capacity })),
    pct >= 100 ? h("span", { class: "badge" }, "100%") : null,
  );
}

function defaultsHint(v) {
  return v ? `${t("training.default")}: ${v.default_capacity} · ${price(v.default_price_kopecks)}` : "";
}

async function newTrainingView(root) {
  const list = await venues();
  const note = notice();
  const venue = venueSelect(list);
  const title = h("input", { required: true, maxlength: 200 });
  const starts = h("input", { type: "datetime-local", required: true });
  const duration = h("input", { type: "number", min: 15, max: 1440, value: 120, required: true });
  const track = trackSelect();
  const capacity = h("input", { type: "number", min: 1, max: 200 });
  const cost = h("input", { type: "number", min: 0, step: "0.01" });
  const notes = h("textarea", { maxlength: 2000, rows: 2 });
  const hint = h("small", { class: "hint" });
  const showDefaults = () => {
    const v = venueById(list, Number(venue.value));
    hint.textContent = defaultsHint(v);
    capacity.placeholder = v ? String(v.default_capacity) : "";
    cost.placeholder = v ? String(v.default_price_kopecks / 100) : "";
  };
  venue.addEventListener("change", showDefaults);
  showDefaults();
  const save = h("button", { type: "submit", class: "primary" }, t("common.save"));
  const form = h(
    "form",
    { class: "card grid", id: "training-form" },
    field(t("common.venue"), venue),
    field(t("training.field.title"), title),
    field(t("training.field.starts"), starts),
    field(t("training.field.duration"), duration),
    field(t("training.field.track"), track),
    field(t("training.field.capacity"), capacity),
    field(t("training.field.price"), cost),
    field(t("training.field.notes"), notes),
    hint,
    h("div", { class: "actions wide" }, h("a", { class: "button ghost", href: "#/trainings" }, t("common.cancel")), save),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = venueById(list, Number(venue.value));
    const startIso = venueLocalToIso(starts.value, v.time_zone);
    const body = {
      venue_id: v.id,
      title: title.value.trim(),
      starts_at: startIso,
      ends_at: new Date(new Date(startIso).getTime() + Number(duration.value) * 60_000).toISOString(),
      track_type: track.value,
      capacity: num(capacity),
      price_kopecks: cost.value === "" ? undefined : Math.round(Number(cost.value) * 100),
      notes: notes.value,
    };
    const row = await busy(save, note, () => api.post("/api/admin/trainings", body));
    if (row) location.hash = `#/trainings/${row.id}`;
  });
  root.append(h("p", {}, h("a", { href: "#/trainings" }, t("common.back"))), pageHead("trainings.new"), note.el, form);
  title.focus();
}

async function seriesView(root) {
  const list = await venues();
  const note = notice();
  const venue = venueSelect(list);
  const title = h("input", { required: true, maxlength: 200, name: "title" });
  const first = h("input", { type: "date", required: true, name: "first_date" });
  const time = h("input", { type: "time", required: true, value: "19:00", name: "start_time" });
  const duration = h("input", { type: "number", min: 15, max: 1440, value: 120, required: true, name: "duration" });
  const count = h("input", { type: "number", min: 1, max: 52, value: 8, required: true, name: "count" });
  const skips = h("input", { placeholder: "2027-01-01, 2027-01-08", name: "skip" });
  const track = trackSelect();
  const capacity = h("input", { type: "number", min: 1, max: 200, name: "capacity" });
  const cost = h("input", { type: "number", min: 0, step: "0.01", name: "price" });
  const hint = h("small", { class: "hint" });
  const showDefaults = () => {
    const v = venueById(list, Number(venue.value));
    hint.textContent = defaultsHint(v);
    capacity.placeholder = v ? String(v.default_capacity) : "";
    cost.placeholder = v ? String(v.default_price_kopecks / 100) : "";
  };
  venue.addEventListener("change", showDefaults);
  showDefaults();
  const save = h("button", { type: "submit", class: "primary" }, t("common.save"));
  const result = h("div");
  const form = h(
    "form",
    { class: "card grid", id: "series-form" },
    field(t("common.venue"), venue),
    field(t("training.field.title"), title),
    field(t("training.field.first"), first),
    field(t("training.field.time"), time),
    field(t("training.field.duration"), duration),
    field(t("training.field.count"), count),
    field(t("training.field.track"), track),
    field(t("training.field.capacity"), capacity),
    field(t("training.field.price"), cost),
    field(t("training.field.skip"), skips),
    hint,
    h("div", { class: "actions wide" }, h("a", { class: "button ghost", href: "#/trainings" }, t("common.cancel")), save),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = {
      venue_id: Number(venue.value),
      title: title.value.trim(),
      first_date: first.value,
      start_time: time.value,
      duration_minutes: Number(duration.value),
      count: Number(count.value),
      skip_dates: skips.value.split(/[,\s]+/).filter(Boolean),
      track_type: track.value,
      capacity: num(capacity),
      price_kopecks: cost.value === "" ? undefined : Math.round(Number(cost.value) * 100),
    };
    const rows = await busy(save, note, () => api.post("/api/admin/trainings/series", body));
    if (!rows) return;
    note.ok(t("trainings.created", { n: rows.length }));
    clear(result).append(trainingTable(rows, list));
    result.scrollIntoView({ block: "start" });
  });
  root.append(h("p", {}, h("a", { href: "#/trainings" }, t("common.back"))), pageHead("trainings.series"), note.el, form, result);
  title.focus();
}

async function trainingView(root, id) {
  const [list, training, paths] = await Promise.all([venues(), api.get(`/api/admin/trainings/${id}`), openapi()]);
  const v = venueById(list, training.venue_id) || { time_zone: "UTC", min_mhz: 5645, max_mhz: 5945, name: `#${training.venue_id}` };
  const note = notice();
  if (state.flash) {
    note.ok(state.flash);
    state.flash = null;
  }
  const head = h(
    "section",
    { class: "card training-head" },
    h("h1", {}, training.title, training.status === "cancelled" ? h("span", { class: "badge bad" }, t("trainings.cancelled")) : null),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, t("trainings.col.when")),
      h("dd", {}, when(training.starts_at, v.time_zone), " – ", new Intl.DateTimeFormat(getLang(), { hour: "2-digit", minute: "2-digit", timeZone: v.time_zone }).format(new Date(training.ends_at))),
      h("dt", {}, t("common.venue")),
      h("dd", {}, v.name),
      h("dt", {}, t("training.field.track")),
      h("dd", {}, t(`track.${training.track_type}`)),
      h("dt", {}, t("trainings.col.seats")),
      h("dd", { id: "training-seats" }, seatsBar(training.seats_taken, training.capacity)),
      h("dt", {}, t("trainings.col.price")),
      h("dd", {}, price(training.price_kopecks)),
      training.notes ? [h("dt", {}, t("training.field.notes")), h("dd", {}, training.notes)] : null,
    ),
  );
  const actions = h("div", { class: "actions" });
  if (training.status !== "cancelled") {
    actions.append(editTraining(training, v, note), cancelTrainingButton(training, note));
  }
  if (new Date(training.starts_at) <= new Date()) actions.append(h("a", { class: "button", href: `#/results?training=${id}` }, t("nav.results")));
  actions.append(...exportControls(paths, { trainingId: id, note }));
  head.append(actions);
  const board = h("section", { class: "card board", id: "board" }, loading());
  root.append(h("p", {}, h("a", { href: "#/trainings" }, t("common.back"))), head, note.el, board);
  await channelBoard(board, training, v, note);
}

function editTraining(training, v, note) {
  const title = h("input", { value: training.title, required: true, maxlength: 200 });
  const starts = h("input", { type: "datetime-local", value: isoToVenueLocal(training.starts_at, v.time_zone) });
  const minutes = Math.round((new Date(training.ends_at) - new Date(training.starts_at)) / 60_000);
  const duration = h("input", { type: "number", min: 15, max: 1440, value: minutes });
  const capacity = h("input", { type: "number", min: 1, max: 200, value: training.capacity });
  const cost = h("input", { type: "number", min: 0, step: "0.01", value: training.price_kopecks / 100 });
  const track = trackSelect(training.track_type);
  const notes = h("textarea", { rows: 2, maxlength: 2000 }, training.notes || "");
  const save = h("button", { type: "submit", class: "primary" }, t("common.save"));
  const form = h(
    "form",
    { class: "grid" },
    field(t("training.field.title"), title),
    field(t("training.field.starts"), starts),
    field(t("training.field.duration"), duration),
    field(t("training.field.track"), track),
    field(t("training.field.capacity"), capacity),
    field(t("training.field.price"), cost),
    field(t("training.field.notes"), notes),
    h("div", { class: "actions wide" }, save),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const startIso = venueLocalToIso(starts.value, v.time_zone);
    const body = {
      title: title.value.trim(),
      starts_at: startIso,
      ends_at: new Date(new Date(startIso).getTime() + Number(duration.value) * 60_000).toISOString(),
      track_type: track.value,
      capacity: Number(capacity.value),
      price_kopecks: Math.round(Number(cost.value) * 100),
      notes: notes.value,
    };
    const row = await busy(save, note, () => api.patch(`/api/admin/trainings/${training.id}`, body));
    if (row) {
      // shown by the re-rendered page (its notice is a new one)
      state.flash = row.pilots_told ? t("training.saved.told", { n: row.pilots_told }) : t("common.saved");
      render();
    }
  });
  return h("details", { class: "edit" }, h("summary", { class: "button" }, t("training.edit")), form);
}

function cancelTrainingButton(training, note) {
  const button = h("button", { type: "button", class: "danger", id: "cancel-training" }, t("training.cancel"));
  button.addEventListener("click", async () => {
    const ok = await confirmDialog(t("training.cancel.confirm", { title: training.title }), { confirmLabel: t("training.cancel") });
    if (!ok) return;
    const result = await busy(button, note, () => api.post(`/api/admin/trainings/${training.id}/cancel`));
    if (result) {
      state.flash = t("training.cancelled.done", { n: result.registrations_cancelled, r: result.refunds.length });
      await render();
    }
  });
  return button;
}

// --- the channel board ------------------------------------------------------------------------
const SEATED = new Set(["pending_payment", "confirmed"]);

async function channelBoard(board, training, v, note) {
  const regs = await api.get(`/api/admin/trainings/${training.id}/registrations`);
  clear(board).append(h("h2", {}, t("board.title")));
  const open = training.status === "scheduled" && new Date(training.starts_at) > new Date();
  const started = new Date(training.starts_at) <= new Date();
  const seated = regs.filter((r) => SEATED.has(r.status));
  const seats = document.getElementById("training-seats"); // withdrawals and promotions change it
  if (seats) clear(seats).append(seatsBar(seated.length, training.capacity));
  const waiting = regs.filter((r) => r.status === "waitlisted" || (r.waitlist_position && !SEATED.has(r.status) && !["cancelled", "refunded", "expired"].includes(r.status)));
  const gone = regs.filter((r) => !seated.includes(r) && !waiting.includes(r));
  if (!regs.length) board.append(message("info", t("board.empty")));
  const heats = new Map();
  for (const r of seated) {
    if (!heats.has(r.heat)) heats.set(r.heat, []);
    heats.get(r.heat).push(r);
  }
  const channels = analogChannels(v.min_mhz, v.max_mhz);
  const options = open ? await channelOptions(await openapi(), seated) : new Map();
  const reload = () => channelBoard(board, training, v, note);
  for (const [heat, rows] of [...heats.entries()].sort((a, b) => a[0] - b[0])) {
    rows.sort((a, b) => (a.channel_mhz || 0) - (b.channel_mhz || 0));
    const freqs = rows.map((r) => r.channel_mhz).filter(Boolean);
    const rating = imdRating(freqs);
    const spacing = minSpacing(freqs);
    board.append(
      h(
        "div",
        { class: "heat", dataset: { heat } },
        h(
          "h3",
          {},
          t("board.heat", { n: heat }),
          h("span", { class: `rating ${ratingClass(rating)}`, dataset: { heatRating: heat } }, `${t("board.rating")}: ${rating}`),
          spacing !== null ? h("span", { class: "spacing", dataset: { heatSpacing: heat } }, `${t("board.spacing")}: ${t("board.mhz", { n: spacing })}`) : null,
        ),
        h("div", { class: "spectrum", "aria-hidden": "true" }, h("span", { class: "edge lo" }, String(v.min_mhz)), h("span", { class: "edge hi" }, String(v.max_mhz)), spectrum(rows, v)),
        regTable(rows, { open, started, channels, options, heatFreqs: freqs, rating, training, note, reload }),
      ),
    );
  }
  if (waiting.length) board.append(h("h3", {}, t("board.waitlist")), regTable(waiting, { open: false, started, channels, training, note, reload }));
  if (gone.length)
    board.append(h("details", { class: "gone" }, h("summary", {}, `${t("board.withdrawn")} (${gone.length})`), regTable(gone, { open: false, started: false, channels, training, note, reload, inert: true })));
  if (open && seated.length) board.append(rebalanceBlock(training, regs, note, reload));
}

function ratingClass(rating) {
  if (rating >= 80) return "good";
  if (rating >= 40) return "fair";
  return "bad";
}

// Where the heat's pilots sit on the band, to scale (venue range).
function spectrum(rows, v) {
  const lo = v.min_mhz;
  const hi = v.max_mhz;
  return rows
    .filter((r) => r.channel_mhz)
    .map((r) => {
      const mark = h("span", { class: "mark" }, h("b", {}, r.channel_label || ""), h("i", {}, String(r.channel_mhz)));
      mark.style.left = `${(100 * (r.channel_mhz - lo)) / Math.max(1, hi - lo)}%`; // CSSOM: allowed by the CSP
      return mark;
    });
}

function paymentText(p) {
  if (!p) return t("pay.none");
  if (p.refunded_kopecks > 0) return t("pay.refunded", { amount: rub(p.refunded_kopecks) });
  if (p.status === "succeeded" || p.status === "paid") return t("pay.succeeded", { amount: rub(p.amount_kopecks) });
  return t("pay.other", { status: p.status, amount: rub(p.amount_kopecks) });
}

function regTable(rows, ctx) {
  return h(
    "table",
    { class: "list regs" },
    h("thead", {}, h("tr", {}, ["board.col.pilot", "board.col.channel", "board.col.status", "board.col.payment", "board.col.attendance", "board.col.actions"].map((k) => h("th", { scope: "col" }, t(k))))),
    h("tbody", {}, rows.map((r) => regRow(r, ctx))),
  );
}

function regRow(r, ctx) {
  const nick = r.nickname || `#${r.pilot_id ?? "—"}`;
  const cells = [
    h("td", { "data-label": t("board.col.pilot") }, h("strong", {}, nick)),
    h("td", { "data-label": t("board.col.channel"), class: "channel" }, r.channel_mhz ? `${r.channel_label || ""} · ${t("board.mhz", { n: r.channel_mhz })}` : t("board.nochannel")),
    h("td", { "data-label": t("board.col.status") }, h("span", { class: `badge st-${r.status}` }, t(`reg.${r.status}`)), r.waitlist_position ? ` #${r.waitlist_position}` : ""),
    h("td", { "data-label": t("board.col.payment") }, paymentText(r.payment)),
    h("td", { "data-label": t("board.col.attendance") }, attendanceCell(r, ctx)),
  ];
  const actions = h("div", { class: "row-actions" });
  if (!ctx.inert) {
    if (ctx.open && SEATED.has(r.status) && r.channel_mhz) actions.append(moveControl(r, nick, ctx));
    if (["pending_payment", "confirmed", "waitlisted"].includes(r.status) && ctx.training.status === "scheduled") actions.append(withdrawButton(r, nick, ctx));
  }
  cells.push(h("td", { "data-label": t("board.col.actions") }, actions));
  return h("tr", { dataset: { registration: r.id } }, cells);
}

function attendanceCell(r, ctx) {
  const shown = r.attendance ? t(`att.${r.attendance}`) : "—";
  if (!ctx.started || r.status !== "confirmed" || ctx.inert) return shown;
  const group = h("span", { class: "seg", role: "group", "aria-label": t("board.col.attendance") });
  for (const [value, key] of [
    ["attended", "board.attended"],
    ["no_show", "board.noshow"],
  ]) {
    const b = h("button", { type: "button", class: r.attendance === value ? "on" : "ghost", "aria-pressed": String(r.attendance === value) }, t(key));
    b.addEventListener("click", async () => {
      const next = r.attendance === value ? null : value;
      const done = await busy(b, ctx.note, () => api.post(`/api/admin/registrations/${r.id}/attendance`, { attendance: next }));
      if (done) ctx.reload();
    });
    group.append(b);
  }
  return group;
}

function moveControl(r, nick, ctx) {
  if (ctx.options?.has(r.id)) return optionsMoveControl(r, nick, ctx, ctx.options.get(r.id));
  const others = ctx.heatFreqs.filter((f) => f !== r.channel_mhz);
  const select = h(
    "select",
    { "aria-label": t("board.move.to", { nick }), class: "move-select" },
    ctx.channels.map((c) =>
      h("option", { value: c.mhz, selected: c.mhz === r.channel_mhz, disabled: others.includes(c.mhz) }, `${c.label} · ${c.mhz}${others.includes(c.mhz) ? " ✕" : ""}`),
    ),
  );
  if (!ctx.channels.some((c) => c.mhz === r.channel_mhz)) {
    select.prepend(h("option", { value: r.channel_mhz, selected: true }, `${r.channel_label || ""} · ${r.channel_mhz}`));
  }
  const preview = h("output", { class: "preview", "aria-live": "polite" });
  const move = h("button", { type: "button", class: "primary", disabled: true }, t("board.move"));
  select.addEventListener("change", () => {
    const target = Number(select.value);
    move.disabled = target === r.channel_mhz;
    if (target === r.channel_mhz) {
      preview.textContent = "";
      return;
    }
    if (others.includes(target)) {
      preview.textContent = t("board.preview.taken");
      preview.className = "preview bad";
      return;
    }
    const next = [...others, target];
    const rating = imdRating(next);
    preview.className = `preview ${rating >= ctx.rating ? "good" : "bad"}`;
    preview.textContent = t("board.preview", { rating, now: ctx.rating, spacing: minSpacing(next) ?? "—" });
  });
  move.addEventListener("click", async () => {
    const result = await busy(move, ctx.note, () => api.post(`/api/admin/registrations/${r.id}/channel`, { channel_mhz: Number(select.value) }));
    if (!result) return;
    await ctx.reload();
    ctx.note.ok(t("board.moved", { nick, label: result.channel_label, mhz: result.channel_mhz, rating: result.rating, spacing: result.min_spacing_mhz ?? "—" }));
  });
  return h("span", { class: "move" }, select, move, preview);
}

function withdrawButton(r, nick, ctx) {
  const b = h("button", { type: "button", class: "danger ghost" }, t("board.withdraw"));
  const paid = r.payment && r.payment.amount_kopecks > r.payment.refunded_kopecks && ["succeeded", "paid"].includes(r.payment.status);
  b.addEventListener("click", async () => {
    const answer = await confirmDialog(t("board.withdraw.confirm", { nick }), {
      confirmLabel: t("board.withdraw"),
      checkbox: paid ? { label: t("board.withdraw.refund"), checked: true } : undefined,
    });
    const ok = paid ? answer.ok : answer;
    if (!ok) return;
    const result = await busy(b, ctx.note, () => api.post(`/api/admin/registrations/${r.id}/cancel`, { refund: paid ? answer.checked : false }));
    if (!result) return;
    await ctx.reload();
    ctx.note.ok(t("board.withdrawn.done", { nick, r: result.refunds.length, p: result.promoted.length }));
  });
  return b;
}

function rebalanceBlock(training, regs, note, reload) {
  const byId = new Map(regs.map((r) => [r.id, r]));
  const out = h("div", { class: "rebalance-out", "aria-live": "polite" });
  const propose = h("button", { type: "button" }, t("board.rebalance"));
  propose.addEventListener("click", async () => {
    clear(out).append(loading());
    const proposal = await busy(propose, note, () => api.get(`/api/admin/trainings/${training.id}/rebalance`));
    clear(out);
    if (!proposal) return;
    const moves = proposal.heats.flatMap((x) => x.moves);
    if (!moves.length) {
      out.append(message("info", t("board.rebalance.none")));
      return;
    }
    for (const heat of proposal.heats) {
      if (!heat.moves.length) continue;
      // What it gains, in the organizer's language: the rating and spacing now and after.
      const seated = regs.filter((r) => SEATED.has(r.status) && r.heat === heat.heat && r.channel_mhz);
      const now = seated.map((r) => r.channel_mhz);
      const moved = new Map(heat.moves.map((m) => [m.registration_id, m.to_mhz]));
      const after = seated.map((r) => moved.get(r.id) ?? r.channel_mhz);
      out.append(
        h(
          "p",
          { dataset: { proposalHeat: heat.heat } },
          t("board.rebalance.heat", {
            heat: heat.heat,
            now: imdRating(now),
            rating: heat.rating ?? imdRating(after),
            spacing: minSpacing(now) ?? "—",
            spacingAfter: minSpacing(after) ?? "—",
            n: heat.moves.length,
          }),
        ),
        h(
          "ul",
          {},
          heat.moves.map((m) => {
            const r = byId.get(m.registration_id);
            const from = `${r?.channel_label || ""} ${m.from_mhz}`.trim();
            return h("li", {}, h("strong", {}, r?.nickname || `#${m.registration_id}`), `: ${from} → ${m.to_label} ${t("board.mhz", { n: m.to_mhz })}`);
          }),
        ),
      );
    }
    const apply = h("button", { type: "button", class: "primary" }, t("board.rebalance.apply"));
    apply.addEventListener("click", async () => {
      const ok = await confirmDialog(t("board.rebalance.confirm", { n: moves.length }), { danger: false });
      if (!ok) return;
      const done = await busy(apply, note, () => api.post(`/api/admin/trainings/${training.id}/rebalance`));
      if (!done) return;
      await reload();
      note.ok(t("board.rebalance.done", { n: done.applied_moves ?? 0 }));
    });
    out.append(apply);
  });
  return h("div", { class: "rebalance" }, propose, out);
}

// --- venues -----------------------------------------------------------------------------------
async function venuesView(root) {
  state.venues = null;
  const [list, cityList] = await Promise.all([venues(), cities()]);
  const note = notice();
  const superadmin = state.me.role === "superadmin";
  root.append(pageHead("venues.title"), note.el);
  for (const city of cityList) {
    const own = list.filter((v) => v.city_id === city.id);
    if (!own.length && !superadmin) continue;
    root.append(h("h2", {}, getLang() === "en" ? city.name_en : city.name_ru), own.length ? h("div", { class: "cards" }, own.map((v) => venueCard(v, note))) : message("info", t("common.empty")));
  }
  if (superadmin) root.append(newCityForm(note), newVenueForm(cityList, note));
}

function venueFields(v = {}) {
  return {
    name: h("input", { value: v.name ?? "", required: true, maxlength: 200 }),
    slug: h("input", { value: v.slug ?? "", required: true, pattern: "[a-z0-9-]{1,64}" }),
    address: h("input", { value: v.address ?? "", maxlength: 500 }),
    time_zone: h("input", { value: v.time_zone ?? "Europe/Moscow", required: true }),
    min_mhz: h("input", { type: "number", min: 5000, max: 6100, value: v.min_mhz ?? 5645 }),
    max_mhz: h("input", { type: "number", min: 5000, max: 6100, value: v.max_mhz ?? 5945 }),
    cancel_cutoff_hours: h("input", { type: "number", min: 0, max: 168, value: v.cancel_cutoff_hours ?? 24 }),
    default_price: h("input", { type: "number", min: 0, step: "0.01", value: v.default_price_kopecks !== undefined ? v.default_price_kopecks / 100 : 0 }),
    default_capacity: h("input", { type: "number", min: 1, max: 200, value: v.default_capacity ?? 8 }),
  };
}

function venueBody(f) {
  return {
    name: f.name.value.trim(),
    slug: f.slug.value.trim(),
    address: f.address.value.trim(),
    time_zone: f.time_zone.value.trim(),
    min_mhz: Number(f.min_mhz.value),
    max_mhz: Number(f.max_mhz.value),
    cancel_cutoff_hours: Number(f.cancel_cutoff_hours.value),
    default_price_kopecks: Math.round(Number(f.default_price.value) * 100),
    default_capacity: Number(f.default_capacity.value),
  };
}

function venueFormFields(f) {
  return [
    field(t("venue.field.name"), f.name),
    field(t("venue.field.slug"), f.slug),
    field(t("venue.field.address"), f.address),
    field(t("venue.field.tz"), f.time_zone),
    field(t("venue.field.min"), f.min_mhz),
    field(t("venue.field.max"), f.max_mhz),
    field(t("venue.field.cutoff"), f.cancel_cutoff_hours),
    field(t("venue.field.price"), f.default_price),
    field(t("venue.field.capacity"), f.default_capacity),
  ];
}

function venueCard(v, note) {
  const f = venueFields(v);
  const save = h("button", { type: "submit", class: "primary" }, t("common.save"));
  const form = h("form", { class: "grid" }, venueFormFields(f), h("div", { class: "actions wide" }, save));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const row = await busy(save, note, () => api.patch(`/api/admin/venues/${v.id}`, venueBody(f)));
    if (row) {
      state.venues = null;
      note.ok(t("common.saved"));
    }
  });
  return h(
    "article",
    { class: "card venue", dataset: { venue: v.id } },
    h("h3", {}, v.name),
    h("p", { class: "muted" }, v.address || "—", " · ", v.time_zone),
    h("p", {}, `${t("board.mhz", { n: `${v.min_mhz}–${v.max_mhz}` })} · ${t("venue.seats", { n: v.default_capacity })} · ${price(v.default_price_kopecks)}`),
    h("details", {}, h("summary", { class: "button ghost" }, t("training.edit")), form),
  );
}

function newCityForm(note) {
  const slug = h("input", { required: true, pattern: "[a-z0-9-]{1,64}" });
  const ru = h("input", { required: true, maxlength: 100 });
  const en = h("input", { required: true, maxlength: 100 });
  const save = h("button", { type: "submit", class: "primary" }, t("common.save"));
  const form = h("form", { class: "grid" }, field(t("venue.field.slug"), slug), field(t("city.field.ru"), ru), field(t("city.field.en"), en), h("div", { class: "actions wide" }, save));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const row = await busy(save, note, () => api.post("/api/admin/cities", { slug: slug.value.trim(), name_ru: ru.value.trim(), name_en: en.value.trim() }));
    if (row) {
      state.cities = null;
      render();
    }
  });
  return h("details", { class: "card" }, h("summary", {}, t("venues.city.new")), form);
}

function newVenueForm(cityList, note) {
  const f = venueFields();
  const city = h("select", { required: true }, cityList.map((c) => h("option", { value: c.id }, getLang() === "en" ? c.name_en : c.name_ru)));
  const save = h("button", { type: "submit", class: "primary" }, t("common.save"));
  const form = h("form", { class: "grid" }, field(t("common.city"), city), venueFormFields(f), h("div", { class: "actions wide" }, save));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const row = await busy(save, note, () => api.post("/api/admin/venues", { city_id: Number(city.value), ...venueBody(f) }));
    if (row) {
      state.venues = null;
      render();
    }
  });
  return h("details", { class: "card" }, h("summary", {}, t("venues.new")), form);
}

// --- pilots -----------------------------------------------------------------------------------
async function pilotsView(root, id) {
  const note = notice();
  if (id) {
    const [p, list] = await Promise.all([api.get(`/api/admin/pilots/${id}`), venues()]);
    root.append(
      h("p", {}, h("a", { href: "#/pilots" }, t("common.back"))),
      h("h1", {}, p.nickname || `#${p.id}`, h("span", { class: "muted" }, ` · Telegram ${p.telegram_id}`)),
      h("h2", {}, t("pilots.history")),
      p.registrations.length
        ? h(
            "table",
            { class: "list" },
            h("thead", {}, h("tr", {}, ["trainings.col.when", "trainings.col.title", "board.col.channel", "board.col.status", "board.col.attendance", "board.col.payment"].map((k) => h("th", { scope: "col" }, t(k))))),
            h(
              "tbody",
              {},
              p.registrations.map((r) =>
                h(
                  "tr",
                  {},
                  h("td", { "data-label": t("trainings.col.when") }, when(r.starts_at, venueById(list, r.venue_id)?.time_zone)),
                  h("td", { "data-label": t("trainings.col.title") }, h("a", { href: `#/trainings/${r.training_id}` }, r.title)),
                  h("td", { "data-label": t("board.col.channel") }, r.channel_label ? `${r.channel_label} · ${r.channel_mhz}` : "—"),
                  h("td", { "data-label": t("board.col.status") }, t(`reg.${r.status}`)),
                  h("td", { "data-label": t("board.col.attendance") }, r.attendance ? t(`att.${r.attendance}`) : "—"),
                  h("td", { "data-label": t("board.col.payment") }, r.payment_status || "—"),
                ),
              ),
            ),
          )
        : message("info", t("common.empty")),
    );
    return;
  }
  const q = h("input", { type: "search", minlength: 1, maxlength: 32, required: true, placeholder: t("pilots.search") });
  const find = h("button", { type: "submit", class: "primary" }, t("pilots.find"));
  const results = h("div");
  const form = h("form", { class: "inline" }, field(t("pilots.search"), q), find);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clear(results).append(loading());
    const rows = await busy(find, note, () => api.get("/api/admin/pilots", { q: q.value.trim() }));
    clear(results);
    if (!rows) return;
    results.append(rows.length ? h("ul", { class: "plain" }, rows.map((p) => h("li", {}, h("a", { href: `#/pilots/${p.id}` }, p.nickname || `#${p.id}`), h("span", { class: "muted" }, ` · ${p.telegram_id}`)))) : message("info", t("pilots.none")));
  });
  root.append(pageHead("pilots.title"), note.el, form, results);
  q.focus();
}

// --- audit ------------------------------------------------------------------------------------
async function auditView(root) {
  const paths = await openapi();
  const note = notice();
  const action = h("input", { maxlength: 100, placeholder: "training.create" });
  const target = h("input", { maxlength: 100, placeholder: "training:12" });
  const actor = h("input", { maxlength: 100 });
  const since = h("input", { type: "date" });
  const until = h("input", { type: "date" });
  const go = h("button", { type: "submit", class: "primary" }, t("common.apply"));
  const filters = h(
    "form",
    { class: "filters grid", id: "audit-filters" },
    field(t("audit.action"), action),
    field(t("audit.target"), target),
    field(t("audit.actor"), actor),
    field(t("common.from"), since),
    field(t("common.until"), until),
    h("div", { class: "actions wide" }, go),
  );
  const query = () => ({
    action: action.value.trim(),
    target: target.value.trim(),
    actor: actor.value.trim(),
    since: since.value ? new Date(`${since.value}T00:00:00`).toISOString() : undefined,
    until: until.value ? new Date(`${until.value}T23:59:59`).toISOString() : undefined,
  });
  const exports = h("div", { class: "actions" });
  const refreshExports = () => {
    const { action: a, target: tg, actor: who, since: from, until: to } = query();
    clear(exports).append(...exportControls(paths, { query: { action: a, target: tg, actor: who, since: from, until: to }, note }));
  };
  const body = h("tbody");
  const table = h(
    "table",
    { class: "list audit" },
    h("thead", {}, h("tr", {}, ["audit.at", "audit.actor", "audit.action", "audit.target", "audit.details"].map((k) => h("th", { scope: "col" }, t(k))))),
    body,
  );
  const more = h("button", { type: "button", hidden: true }, t("common.more"));
  const holder = h("div", {}, loading());
  let last = null;
  async function load(reset) {
    if (reset) {
      clear(body);
      last = null;
      clear(holder).append(loading());
    }
    const rows = await busy(more, note, () => api.get("/api/admin/audit", { ...query(), before_id: last ?? undefined, limit: 50 }));
    clear(holder);
    if (!rows) return;
    if (reset && !rows.length) holder.append(message("info", t("common.empty")));
    for (const r of rows) {
      body.append(
        h(
          "tr",
          {},
          h("td", { "data-label": t("audit.at") }, stamp(r.at)),
          h("td", { "data-label": t("audit.actor") }, r.actor || "—"),
          h("td", { "data-label": t("audit.action") }, h("code", {}, r.action)),
          h("td", { "data-label": t("audit.target") }, r.target || "—"),
          h("td", { "data-label": t("audit.details"), class: "change" }, changeText(r)),
        ),
      );
      last = r.id;
    }
    more.hidden = rows.length < 50;
  }
  filters.addEventListener("submit", (e) => {
    e.preventDefault();
    refreshExports();
    load(true);
  });
  more.addEventListener("click", () => load(false));
  refreshExports();
  root.append(pageHead("audit.title"), note.el, filters, exports, holder, h("div", { class: "scroll" }, table), more);
  await load(true);
}

function changeText(r) {
  const show = (x) => (x === null || x === undefined ? "∅" : typeof x === "object" ? JSON.stringify(x) : String(x));
  const isObj = (x) => x && typeof x === "object" && !Array.isArray(x);
  if (isObj(r.before) && isObj(r.after)) {
    // Only what changed: "field: before → after".
    const keys = [...new Set([...Object.keys(r.before), ...Object.keys(r.after)])];
    const changed = keys.filter((k) => JSON.stringify(r.before[k]) !== JSON.stringify(r.after[k]));
    return changed.map((k) => `${k}: ${show(r.before[k])} → ${show(r.after[k])}`).join("; ") || "—";
  }
  if (r.before !== null && r.before !== undefined && r.after !== null && r.after !== undefined) return `${show(r.before)} → ${show(r.after)}`;
  const one = r.after ?? r.before;
  if (one !== null && one !== undefined) return show(one);
  return Object.keys(r.details || {}).length ? JSON.stringify(r.details) : "—";
}

// --- admins and API keys (superadmin) ---------------------------------------------------------
async function adminsView(root) {
  const [rows, list] = await Promise.all([api.get("/api/admin/admins"), venues()]);
  const note = notice();
  root.append(pageHead("admins.title"), note.el);
  root.append(
    h(
      "table",
      { class: "list" },
      h("thead", {}, h("tr", {}, ["admins.field.login", "admins.field.name", "admins.field.role", "admins.field.venues", "board.col.status", "board.col.actions"].map((k) => h("th", { scope: "col" }, t(k))))),
      h(
        "tbody",
        {},
        rows.map((a) => {
          const off = h("button", { type: "button", class: "danger ghost" }, t("admins.disable"));
          off.addEventListener("click", async () => {
            if (!(await confirmDialog(t("admins.disable.confirm", { login: a.login || a.id }), { confirmLabel: t("admins.disable") }))) return;
            if (await busy(off, note, () => api.post(`/api/admin/admins/${a.id}/disable`))) render();
          });
          return h(
            "tr",
            {},
            h("td", { "data-label": t("admins.field.login") }, a.login || "—"),
            h("td", { "data-label": t("admins.field.name") }, a.display_name),
            h("td", { "data-label": t("admins.field.role") }, t(`role.${a.role}`)),
            h("td", { "data-label": t("admins.field.venues") }, a.venue_ids.map((id) => venueById(list, id)?.name || `#${id}`).join(", ") || "—"),
            h("td", { "data-label": t("board.col.status") }, a.active ? t("admins.active") : t("admins.disabled")),
            h("td", { "data-label": t("board.col.actions") }, a.active && a.id !== state.me.id ? off : null),
          );
        }),
      ),
    ),
  );
  const login = h("input", { required: true, pattern: "[a-z0-9_.\\-]{3,64}", autocomplete: "off" });
  const name = h("input", { maxlength: 100 });
  const tg = h("input", { type: "number", min: 1, required: true });
  const password = h("input", { type: "password", minlength: 12, required: true, autocomplete: "new-password" });
  const role = h("select", {}, h("option", { value: "local" }, t("role.local")), h("option", { value: "superadmin" }, t("role.superadmin")));
  const lang = h("select", {}, h("option", { value: "ru" }, "Русский"), h("option", { value: "en" }, "English"));
  const boxes = list.map((v) => h("label", { class: "check" }, h("input", { type: "checkbox", value: v.id }), v.name));
  const save = h("button", { type: "submit", class: "primary" }, t("common.save"));
  const form = h(
    "form",
    { class: "grid" },
    field(t("admins.field.login"), login),
    field(t("admins.field.name"), name),
    field(t("admins.field.tg"), tg),
    field(t("admins.field.password"), password),
    field(t("admins.field.role"), role),
    field(t("admins.field.lang"), lang),
    h("fieldset", { class: "wide" }, h("legend", {}, t("admins.field.venues")), boxes),
    h("div", { class: "actions wide" }, save),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = {
      login: login.value.trim(),
      telegram_id: Number(tg.value),
      password: password.value,
      role: role.value,
      language: lang.value,
      venue_ids: boxes.map((b) => b.firstChild).filter((c) => c.checked).map((c) => Number(c.value)),
      display_name: name.value.trim() || undefined,
    };
    if (await busy(save, note, () => api.post("/api/admin/admins", body))) render();
  });
  root.append(h("details", { class: "card" }, h("summary", {}, t("admins.new")), form));
}

async function keysView(root) {
  const [rows, list] = await Promise.all([api.get("/api/admin/api-keys"), venues(), openapi()]);
  const note = notice();
  const scopesSchema = state.schemas?.ApiKeyIn?.properties?.scopes?.items;
  const scopes = scopesSchema?.enum || scopesSchema?.anyOf?.flatMap((s) => s.enum || (s.const ? [s.const] : [])) || ["schedule:read"];
  root.append(pageHead("keys.title"), note.el);
  if (state.newKey) {
    root.append(h("div", { class: "msg msg-ok", role: "status" }, h("p", {}, t("keys.shown")), h("code", { class: "secret", tabindex: 0 }, state.newKey)));
    state.newKey = null; // shown once
  }
  root.append(
    rows.length
      ? h(
          "table",
          { class: "list" },
          h("thead", {}, h("tr", {}, ["keys.field.name", "keys.field.scopes", "admins.field.venues", "board.col.status", "board.col.actions"].map((k) => h("th", { scope: "col" }, t(k))))),
          h(
            "tbody",
            {},
            rows.map((k) => {
              const revoke = h("button", { type: "button", class: "danger ghost" }, t("keys.revoke"));
              revoke.addEventListener("click", async () => {
                if (!(await confirmDialog(t("keys.revoke.confirm", { name: k.name }), { confirmLabel: t("keys.revoke") }))) return;
                if (await busy(revoke, note, () => api.post(`/api/admin/api-keys/${k.id}/revoke`))) render();
              });
              return h(
                "tr",
                {},
                h("td", { "data-label": t("keys.field.name") }, k.name, k.prefix ? h("code", { class: "muted" }, ` ${k.prefix}…`) : null),
                h("td", { "data-label": t("keys.field.scopes") }, k.scopes.join(", ")),
                h("td", { "data-label": t("admins.field.venues") }, k.venue_ids.map((id) => venueById(list, id)?.name || `#${id}`).join(", ")),
                h("td", { "data-label": t("board.col.status") }, k.revoked_at ? t("keys.revoked", { at: stamp(k.revoked_at) }) : t("admins.active")),
                h("td", { "data-label": t("board.col.actions") }, k.revoked_at ? null : revoke),
              );
            }),
          ),
        )
      : message("info", t("common.empty")),
  );
  const name = h("input", { required: true, maxlength: 100 });
  const scopeBoxes = scopes.map((s) => h("label", { class: "check" }, h("input", { type: "checkbox", value: s, checked: s === scopes[0] }), s));
  const venueBoxes = list.map((v) => h("label", { class: "check" }, h("input", { type: "checkbox", value: v.id }), v.name));
  const save = h("button", { type: "submit", class: "primary" }, t("common.save"));
  const form = h(
    "form",
    { class: "grid" },
    field(t("keys.field.name"), name),
    h("fieldset", { class: "wide" }, h("legend", {}, t("keys.field.scopes")), scopeBoxes),
    h("fieldset", { class: "wide" }, h("legend", {}, t("admins.field.venues")), venueBoxes),
    h("div", { class: "actions wide" }, save),
  );
  const picked = (boxes) => boxes.map((b) => b.firstChild).filter((c) => c.checked).map((c) => c.value);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const created = await busy(save, note, () => api.post("/api/admin/api-keys", { name: name.value.trim(), scopes: picked(scopeBoxes), venue_ids: picked(venueBoxes).map(Number) }));
    if (!created) return;
    state.newKey = created.key;
    await render();
  });
  root.append(h("details", { class: "card" }, h("summary", {}, t("keys.new")), form));
}

// --- router -----------------------------------------------------------------------------------
const ROUTES = [
  [/^#\/login$/, loginView, { open: true }],
  [/^#\/trainings(\?.*)?$/, trainingsView],
  [/^#\/trainings\/new$/, newTrainingView],
  [/^#\/trainings\/series$/, seriesView],
  [/^#\/trainings\/(\d+)$/, trainingView],
  [/^#\/dashboard(\?.*)?$/, async (root) => (await import("./dashboard.js")).dashboardView(root, { api, venues, state, notice })],
  [/^#\/venues$/, venuesView],
  [/^#\/pilots$/, pilotsView],
  [/^#\/pilots\/(\d+)$/, pilotsView],
  [/^#\/passes$/, async (root) => (await import("./passes.js")).passesView(root, { venues, state, render })],
  [/^#\/results(\?.*)?$/, async (root) => (await import("./results.js")).resultsView(root, { venues, cities })],
  [/^#\/audit$/, auditView],
  [/^#\/admins$/, adminsView],
  [/^#\/api-keys$/, keysView],
];

async function render() {
  const seq = ++renderSeq;
  const hash = location.hash || "#/trainings";
  const route = ROUTES.find(([re]) => re.test(hash));
  if (!route) {
    location.hash = "#/trainings";
    return;
  }
  const [re, view, opts = {}] = route;
  if (!state.me && !opts.open) {
    try {
      state.me = await api.get("/api/admin/me");
    } catch {
      state.me = null;
    }
    if (seq !== renderSeq) return;
    if (!state.me) {
      location.hash = "#/login";
      if (hash === "#/login") render();
      return;
    }
  }
  if (state.me && opts.open) {
    location.hash = "#/trainings";
    return;
  }
  renderHeader();
  const root = clear(main());
  root.setAttribute("aria-busy", "true");
  const content = h("div", { class: "view" });
  root.removeAttribute("data-ready");
  const pending = loading();
  root.append(content, pending); // shown until the view shows something of its own (CSS)
  try {
    await view(content, ...(hash.match(re).slice(1).filter((x) => x && !x.startsWith("?"))));
    if (seq !== renderSeq) return;
    pending.remove();
    root.setAttribute("data-ready", hash);
  } catch (error) {
    if (seq !== renderSeq) return;
    clear(root).append(message("error", error instanceof ApiError ? error.message : t("error.unknown", { status: "JS" })));
    if (!(error instanceof ApiError)) console.error(error);
  } finally {
    root.removeAttribute("aria-busy");
  }
}

window.addEventListener("hashchange", () => {
  render();
  main().focus({ preventScroll: true });
  window.scrollTo(0, 0);
});
setLang(getLang());
document.title = t("app.title");
render();
