// The dashboard: figures from the admin API (stats per venue and period, passes included:
// revenue at purchase, credits used per product; the trainings list for seats), drawn with
// Chart.js. Loaded only when the dashboard opens (its own bundle chunk).
import { ArcElement, BarController, BarElement, CategoryScale, Chart, DoughnutController, Legend, LinearScale, Tooltip } from "chart.js";
import { clear, field, h, loading, message } from "./dom.js";
import { rub } from "./format.js";
import { getLang, t } from "./i18n.js";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip, DoughnutController, ArcElement);
Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
Chart.defaults.animation = false; // figures appear at once (and screenshots are stable)

const COLORS = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d"];
const charts = [];

function monthStart(d) {
  return new Date(d.getFullYear(), d.getMonth(), 1);
}

function addMonths(d, n) {
  return new Date(d.getFullYear(), d.getMonth() + n, 1);
}

function monthValue(d) {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}`;
}

export async function dashboardView(root, { api, venues, state }) {
  for (const c of charts.splice(0)) c.destroy();
  const list = await venues();
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const now = new Date();
  const from = h("input", { type: "month", value: params.get("from") || monthValue(addMonths(now, -5)), required: true, name: "from" });
  const to = h("input", { type: "month", value: params.get("to") || monthValue(addMonths(now, 1)), required: true, name: "to" });
  const venue = h("select", { name: "venue" }, h("option", { value: "" }, t("common.all")), list.map((v) => h("option", { value: v.id, selected: String(v.id) === params.get("venue") }, v.name)));
  const apply = h("button", { type: "submit", class: "primary" }, t("common.apply"));
  const filters = h("form", { class: "filters grid", id: "dash-filters" }, field(t("common.from"), from), field(t("common.until"), to), field(t("common.venue"), venue), h("div", { class: "actions" }, apply));
  filters.addEventListener("submit", (e) => {
    e.preventDefault();
    location.hash = `#/dashboard?from=${from.value}&to=${to.value}&venue=${venue.value}`;
  });
  const body = h("div", { class: "dash", "aria-live": "polite" }, loading());
  root.append(h("div", { class: "page-head" }, h("h1", {}, t("dash.title"))), filters, body);

  const [fy, fm] = from.value.split("-").map(Number);
  const [ty, tm] = to.value.split("-").map(Number);
  const start = new Date(fy, fm - 1, 1);
  const end = new Date(ty, tm, 1); // exclusive: the month after "to"
  if (!(start < end)) {
    clear(body).append(message("error", t("error.field", { field: t("common.until"), msg: "≥ " + from.value })));
    return;
  }
  const months = [];
  for (let m = monthStart(start); m < end; m = addMonths(m, 1)) months.push(m);
  if (months.length > 24) months.splice(0, months.length - 24);
  const venueId = venue.value ? Number(venue.value) : null;
  const pick = (rows) => rows.filter((r) => venueId === null || r.venue_id === venueId);

  const [perMonth, whole, trainings] = await Promise.all([
    Promise.all(months.map((m) => api.get("/api/admin/stats", { since: m.toISOString(), until: addMonths(m, 1).toISOString() }))),
    api.get("/api/admin/stats", { since: start.toISOString(), until: end.toISOString() }),
    api.get("/api/admin/trainings", { since: start.toISOString(), until: end.toISOString(), venue_id: venueId ?? undefined, limit: 500 }),
  ]);
  clear(body);

  // Passes: revenue recognised at purchase, on the product's venue; club-wide passes belong to
  // no venue (shown when no venue is picked). A seat paid with a pass adds nothing.
  const club = (s, key) => (venueId === null ? s.club_passes?.[key] || 0 : 0);
  const paid = perMonth.map((s) => pick(s.venues).reduce((a, v) => a + v.paid, 0));
  const refunded = perMonth.map((s) => pick(s.venues).reduce((a, v) => a + v.refunded + (v.passes_refunded || 0), 0) + club(s, "refunded"));
  const passesPaid = perMonth.map((s) => pick(s.venues).reduce((a, v) => a + (v.passes_paid || 0), 0) + club(s, "paid"));
  const wholeRows = pick(whole.venues);
  const sum = (key) => wholeRows.reduce((a, v) => a + (v[key] || 0), 0);
  const passesTotal = sum("passes_paid") + club(whole, "paid");
  const net = sum("paid") - sum("refunded") + passesTotal - sum("passes_refunded") - club(whole, "refunded");
  const products = (whole.passes || []).filter((p) => venueId === null || p.venue_id === venueId);
  const monthFmt = new Intl.DateTimeFormat(getLang() === "en" ? "en-GB" : "ru-RU", { month: "short", year: "2-digit" });
  const monthLabels = months.map((m) => monthFmt.format(m));

  body.append(
    h(
      "div",
      { class: "tiles" },
      tile(t("dash.total.paid"), rub(sum("paid")), "paid"),
      tile(t("dash.total.passes"), rub(passesTotal), "passes"),
      tile(t("dash.total.refunded"), rub(sum("refunded") + sum("passes_refunded") + club(whole, "refunded")), "refunded"),
      tile(t("dash.total.net"), rub(net), "net"),
      tile(t("dash.total.trainings"), String(sum("trainings")), "trainings"),
      tile(t("dash.total.noshow"), sum("confirmed") ? `${Math.round((100 * sum("no_shows")) / sum("confirmed"))}%` : "—", "noshow"),
    ),
  );

  const live = trainings.filter((tr) => tr.status !== "cancelled");
  const byTrack = new Map();
  const byWeekday = new Array(7).fill(0);
  const byHour = new Array(24).fill(0);
  const load = new Map();
  for (const tr of live) {
    const v = list.find((x) => x.id === tr.venue_id);
    byTrack.set(tr.track_type, (byTrack.get(tr.track_type) || 0) + tr.seats_taken);
    const parts = {};
    for (const p of new Intl.DateTimeFormat("en-US", { timeZone: v?.time_zone || "UTC", weekday: "short", hour: "2-digit", hourCycle: "h23" }).formatToParts(new Date(tr.starts_at))) parts[p.type] = p.value;
    const wd = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].indexOf(parts.weekday);
    if (wd >= 0) byWeekday[wd] += tr.seats_taken;
    byHour[Number(parts.hour) % 24] += tr.seats_taken;
    const l = load.get(tr.venue_id) || { taken: 0, offered: 0 };
    l.taken += tr.seats_taken;
    l.offered += tr.capacity;
    load.set(tr.venue_id, l);
  }
  const venueName = (id) => list.find((v) => v.id === id)?.name || `#${id}`;
  const loadIds = [...load.keys()];
  const hours = byHour.map((_, i) => i).filter((i) => byHour[i] > 0 || (i >= 8 && i <= 22));

  body.append(
    h(
      "div",
      { class: "charts" },
      chartCard("revenue", t("dash.revenue"), {
        type: "bar",
        data: {
          labels: monthLabels,
          datasets: [
            { label: t("dash.revenue.paid"), data: paid.map((k) => k / 100), backgroundColor: COLORS[0] },
            { label: t("dash.revenue.passes"), data: passesPaid.map((k) => k / 100), backgroundColor: COLORS[4] },
            { label: t("dash.revenue.refunded"), data: refunded.map((k) => k / 100), backgroundColor: COLORS[3] },
          ],
        },
      }),
      chartCard("load", t("dash.load"), {
        type: "bar",
        data: {
          labels: loadIds.map(venueName),
          datasets: [
            { label: t("dash.load.taken"), data: loadIds.map((id) => load.get(id).taken), backgroundColor: COLORS[1] },
            { label: t("dash.load.offered"), data: loadIds.map((id) => load.get(id).offered), backgroundColor: "#cbd5e1" },
          ],
        },
        options: { indexAxis: "y" },
      }),
      chartCard("tracks", t("dash.tracks"), {
        type: "doughnut",
        data: {
          labels: [...byTrack.keys()].map((k) => t(`track.${k}`)),
          datasets: [{ data: [...byTrack.values()], backgroundColor: COLORS }],
        },
      }),
      chartCard("weekday", t("dash.weekday"), {
        type: "bar",
        data: { labels: t("dash.weekdays"), datasets: [{ label: t("dash.load.taken"), data: byWeekday, backgroundColor: COLORS[4] }] },
        options: { plugins: { legend: { display: false } } },
      }),
      chartCard("hour", t("dash.hour"), {
        type: "bar",
        data: { labels: hours.map((i) => `${i}:00`), datasets: [{ label: t("dash.load.taken"), data: hours.map((i) => byHour[i]), backgroundColor: COLORS[5] }] },
        options: { plugins: { legend: { display: false } } },
      }),
      chartCard("noshow", t("dash.noshow"), {
        type: "bar",
        data: {
          labels: wholeRows.map((v) => v.name),
          datasets: [{ label: "%", data: wholeRows.map((v) => (v.confirmed ? Math.round((1000 * v.no_shows) / v.confirmed) / 10 : 0)), backgroundColor: COLORS[2] }],
        },
        options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, suggestedMax: 10 } } },
      }),
    ),
  );

  body.append(passesCard(products, venueName));

  // The same figures as a table: readable without the charts (screen readers, copying).
  body.append(
    h(
      "details",
      { class: "card" },
      h("summary", {}, t("dash.table")),
      h(
        "table",
        { class: "list", id: "dash-table" },
        h("thead", {}, h("tr", {}, [t("common.venue"), t("dash.total.trainings"), t("dash.total.paid"), t("dash.total.refunded"), t("dash.load"), t("dash.noshow")].map((x) => h("th", { scope: "col" }, x)))),
        h(
          "tbody",
          {},
          wholeRows.map((v) => {
            const l = load.get(v.venue_id) || { taken: 0, offered: 0 };
            return h(
              "tr",
              { dataset: { venue: v.venue_id } },
              h("td", {}, v.name),
              h("td", {}, String(v.trainings)),
              h("td", { dataset: { paid: v.paid } }, rub(v.paid)),
              h("td", {}, rub(v.refunded)),
              h("td", {}, `${l.taken} / ${l.offered}`),
              h("td", {}, v.confirmed ? `${Math.round((100 * v.no_shows) / v.confirmed)}%` : "—"),
            );
          }),
        ),
      ),
    ),
  );
  void state;
}

// Pass products: how many were bought in the period, their credits in use of those sold, money.
function passesCard(products, venueName) {
  const card = h("section", { class: "card", id: "dash-passes" }, h("h2", {}, t("dash.passes")), h("p", { class: "hint" }, t("dash.passes.note")));
  if (!products.length) {
    card.append(h("p", {}, t("dash.passes.none")));
    return card;
  }
  const head = ["dash.passes.product", "dash.passes.venue", "dash.passes.sold", "dash.passes.credits", "dash.passes.money"];
  card.append(
    h(
      "div",
      { class: "scroll" },
      h(
        "table",
        { class: "list" },
        h("thead", {}, h("tr", {}, head.map((k) => h("th", { scope: "col" }, t(k))))),
        h(
          "tbody",
          {},
          products.map((p) => {
            const limited = p.sold - p.unlimited;
            const credits = limited > 0 ? `${p.credits_used} / ${p.credits_sold}` : `${p.credits_used} / —`;
            const share = p.credits_sold ? ` (${Math.round((100 * p.credits_used) / p.credits_sold)}%)` : "";
            return h(
              "tr",
              { dataset: { product: p.product_id } },
              h("td", { "data-label": t("dash.passes.product") }, p.title),
              h("td", { "data-label": t("dash.passes.venue") }, p.venue_id === null ? t("dash.passes.club") : venueName(p.venue_id)),
              h("td", { "data-label": t("dash.passes.sold") }, String(p.sold), p.unlimited ? ` (${t("dash.passes.unlimited")}: ${p.unlimited})` : ""),
              h("td", { "data-label": t("dash.passes.credits"), dataset: { creditsUsed: p.credits_used, creditsSold: p.credits_sold } }, credits + share),
              h("td", { "data-label": t("dash.passes.money"), dataset: { paid: p.paid } }, `${rub(p.paid)} / ${rub(p.refunded)}`),
            );
          }),
        ),
      ),
    ),
  );
  return card;
}

function tile(label, value, key) {
  return h("div", { class: "tile", dataset: { tile: key } }, h("span", { class: "label" }, label), h("strong", {}, value));
}

function chartCard(key, title, config) {
  const canvas = h("canvas", { role: "img", "aria-label": title });
  const card = h("figure", { class: "card chart", dataset: { chart: key } }, h("figcaption", {}, title), h("div", { class: "canvas" }, canvas));
  const options = { responsive: true, maintainAspectRatio: false, ...(config.options || {}) };
  if (config.type === "bar") {
    const axis = options.indexAxis === "y" ? "x" : "y";
    options.scales = { ...(options.scales || {}), [axis]: { beginAtZero: true, ticks: { precision: 0 }, ...(options.scales?.[axis] || {}) } };
  }
  requestAnimationFrame(() => charts.push(new Chart(canvas, { ...config, options })));
  return card;
}
