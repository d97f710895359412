// Season passes (abonements) in the admin page: the products on sale (create per venue or, for a
// superadmin, for the whole club; retire), and the passes sold with credits used and left (refund
// an unused one). Loaded when the section opens (its own bundle chunk); its texts live here.
import { api } from "./api.js";
import { busy, clear, confirmDialog, field, h, loading, message, notice } from "./dom.js";
import { price, rub, when } from "./format.js";
import { TEXTS, t } from "./i18n.js";

Object.assign(TEXTS, {
  "passes.title": ["Абонементы", "Season passes"],
  "passes.products": ["Что продаётся", "On sale"],
  "passes.sold": ["Проданные абонементы", "Passes sold"],
  "passes.new": ["Новый абонемент", "New pass"],
  "passes.field.title": ["Название", "Title"],
  "passes.field.where": ["Где действует", "Valid at"],
  "passes.field.trainings": ["Тренировок (пусто — безлимит)", "Trainings (empty: unlimited)"],
  "passes.field.days": ["Срок, дней", "Valid, days"],
  "passes.field.price": ["Цена, ₽", "Price, RUB"],
  "passes.field.tracks": ["Трассы (ничего не отмечено — все)", "Tracks (none ticked: all)"],
  "passes.club": ["все площадки клуба", "every venue of the club"],
  "passes.unlimited": ["безлимит", "unlimited"],
  "passes.all_tracks": ["все трассы", "all tracks"],
  "passes.col.title": ["Абонемент", "Pass"],
  "passes.col.trainings": ["Тренировок", "Trainings"],
  "passes.col.days": ["Дней", "Days"],
  "passes.col.tracks": ["Трассы", "Tracks"],
  "passes.col.sold": ["Продано", "Sold"],
  "passes.col.credits": ["Использовано / осталось", "Used / left"],
  "passes.col.until": ["Действует до", "Valid until"],
  "passes.on_sale": ["в продаже", "on sale"],
  "passes.retired": ["снят с продажи", "retired"],
  "passes.retire": ["Снять с продажи", "Retire"],
  "passes.retire.confirm": ["Снять «{title}» с продажи? Купленные абонементы продолжат действовать.", "Retire “{title}”? Passes already bought stay valid."],
  "passes.created": ["Абонемент «{title}» в продаже.", "“{title}” is on sale."],
  "passes.refund": ["Вернуть деньги", "Refund"],
  "passes.refund.confirm": ["Вернуть {price} за абонемент «{title}» пилоту {pilot}? Абонемент перестанет действовать.", "Refund {price} for “{title}” to {pilot}? The pass stops being valid."],
  "passes.refunded": ["Абонемент возвращён.", "The pass is refunded."],
  "passes.status.active": ["действует", "active"],
  "passes.status.refunded": ["возвращён", "refunded"],
  "passes.in_use": ["кредит занят — вернуть нельзя", "a credit is in use: no refund"],
  "passes.credits": ["{used} / {left}", "{used} / {left}"],
});

function trainingsText(n) {
  return n === null || n === undefined ? t("passes.unlimited") : String(n);
}

function paymentText(s) {
  if (!s.payment_status) return t("pay.none");
  if (s.refunded_kopecks > 0) return t("pay.refunded", { amount: rub(s.refunded_kopecks) });
  if (s.payment_status === "paid") return t("pay.succeeded", { amount: rub(s.amount_kopecks) });
  return t("pay.other", { status: s.payment_status, amount: rub(s.amount_kopecks) });
}

function tracksText(list) {
  return list?.length ? list.map((k) => t(`track.${k}`)).join(", ") : t("passes.all_tracks");
}

export async function passesView(root, { venues, state, render }) {
  const list = await venues();
  const note = notice();
  const products = h("section", { class: "card", id: "pass-products" }, h("h2", {}, t("passes.products")), loading());
  const sold = h("section", { class: "card", id: "passes-sold" }, h("h2", {}, t("passes.sold")), loading());
  root.append(h("div", { class: "page-head" }, h("h1", {}, t("passes.title"))), note.el, products, newProductForm(list, state, note, render), sold);
  const [rows, passes] = await Promise.all([api.get("/api/admin/pass-products"), api.get("/api/admin/passes", { limit: 500 })]);
  clear(products).append(h("h2", {}, t("passes.products")), productTable(rows, note, render));
  clear(sold).append(h("h2", {}, t("passes.sold")), soldTable(passes, note, render));
}

function productTable(rows, note, render) {
  if (!rows.length) return message("info", t("common.empty"));
  const cols = ["passes.col.title", "passes.field.where", "passes.col.trainings", "passes.col.days", "trainings.col.price", "passes.col.tracks", "passes.col.sold", "board.col.status", "board.col.actions"];
  return h(
    "div",
    { class: "scroll" },
    h(
      "table",
      { class: "list passes" },
      h("thead", {}, h("tr", {}, cols.map((k) => h("th", { scope: "col" }, t(k))))),
      h(
        "tbody",
        {},
        rows.map((p) => {
          const retire = p.active ? h("button", { type: "button", class: "danger ghost", dataset: { retire: p.id } }, t("passes.retire")) : null;
          retire?.addEventListener("click", async () => {
            if (!(await confirmDialog(t("passes.retire.confirm", { title: p.title }), { confirmLabel: t("passes.retire") }))) return;
            if (await busy(retire, note, () => api.post(`/api/admin/pass-products/${p.id}/retire`))) render();
          });
          return h(
            "tr",
            { class: p.active ? null : "cancelled", dataset: { product: p.id } },
            h("td", { "data-label": t("passes.col.title") }, p.title),
            h("td", { "data-label": t("passes.field.where") }, p.venue_name || t("passes.club")),
            h("td", { "data-label": t("passes.col.trainings") }, trainingsText(p.trainings)),
            h("td", { "data-label": t("passes.col.days") }, String(p.valid_days)),
            h("td", { "data-label": t("trainings.col.price") }, price(p.price_kopecks)),
            h("td", { "data-label": t("passes.col.tracks") }, tracksText(p.track_types)),
            h("td", { "data-label": t("passes.col.sold") }, String(p.sold)),
            h("td", { "data-label": t("board.col.status") }, p.active ? t("passes.on_sale") : h("span", { class: "badge" }, t("passes.retired"))),
            h("td", { "data-label": t("board.col.actions") }, retire),
          );
        }),
      ),
    ),
  );
}

function newProductForm(list, state, note, render) {
  const title = h("input", { required: true, maxlength: 100, name: "title" });
  const where = h(
    "select",
    { name: "venue" },
    state.me?.role === "superadmin" ? h("option", { value: "" }, t("passes.club")) : null,
    list.map((v) => h("option", { value: v.id }, v.name)),
  );
  const trainings = h("input", { type: "number", min: 1, max: 500, name: "trainings", value: 4 });
  const days = h("input", { type: "number", min: 1, max: 400, required: true, name: "days", value: 30 });
  const cost = h("input", { type: "number", min: 1, step: "0.01", required: true, name: "price" });
  const tracks = ["race", "freestyle", "whoop", "open"].map((k) => h("label", { class: "check" }, h("input", { type: "checkbox", value: k }), t(`track.${k}`)));
  const save = h("button", { type: "submit", class: "primary" }, t("common.save"));
  const form = h(
    "form",
    { class: "grid", id: "pass-product-form" },
    field(t("passes.field.title"), title),
    field(t("passes.field.where"), where),
    field(t("passes.field.trainings"), trainings),
    field(t("passes.field.days"), days),
    field(t("passes.field.price"), cost),
    h("fieldset", { class: "wide" }, h("legend", {}, t("passes.field.tracks")), tracks),
    h("div", { class: "actions wide" }, save),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = {
      title: title.value.trim(),
      valid_days: Number(days.value),
      price_kopecks: Math.round(Number(cost.value) * 100),
      trainings: trainings.value === "" ? null : Number(trainings.value),
      venue_id: where.value === "" ? null : Number(where.value),
      track_types: tracks.map((l) => l.firstChild).filter((c) => c.checked).map((c) => c.value),
    };
    const made = await busy(save, note, () => api.post("/api/admin/pass-products", body));
    if (!made) return;
    await render();
    document.querySelector("#main .notice")?.append(message("ok", t("passes.created", { title: made.title })));
  });
  return h("details", { class: "card" }, h("summary", {}, t("passes.new")), form);
}

function soldTable(rows, note, render) {
  if (!rows.length) return message("info", t("common.empty"));
  const cols = ["board.col.pilot", "passes.col.title", "passes.field.where", "passes.col.credits", "passes.col.until", "board.col.status", "board.col.payment", "board.col.actions"];
  return h(
    "div",
    { class: "scroll" },
    h(
      "table",
      { class: "list sold" },
      h("thead", {}, h("tr", {}, cols.map((k) => h("th", { scope: "col" }, t(k))))),
      h(
        "tbody",
        {},
        rows.map((s) => {
          const pilot = s.nickname || (s.pilot_id ? `#${s.pilot_id}` : "—");
          let action = null;
          if (s.status === "active" && s.credits_used === 0) {
            action = h("button", { type: "button", class: "danger ghost", dataset: { refund: s.id } }, t("passes.refund"));
            action.addEventListener("click", async () => {
              const text = t("passes.refund.confirm", { price: price(s.amount_kopecks ?? s.price_kopecks), title: s.title, pilot });
              if (!(await confirmDialog(text, { confirmLabel: t("passes.refund") }))) return;
              if (await busy(action, note, () => api.post(`/api/admin/passes/${s.id}/refund`))) {
                await render();
                document.querySelector("#main .notice")?.append(message("ok", t("passes.refunded")));
              }
            });
          } else if (s.status === "active") {
            action = h("span", { class: "muted" }, t("passes.in_use"));
          }
          const left = s.credits_left === null ? t("passes.unlimited") : String(s.credits_left);
          return h(
            "tr",
            { class: s.status === "active" ? null : "cancelled", dataset: { pass: s.id } },
            h("td", { "data-label": t("board.col.pilot") }, pilot),
            h("td", { "data-label": t("passes.col.title") }, s.title),
            h("td", { "data-label": t("passes.field.where") }, s.venue_name || t("passes.club")),
            h("td", { "data-label": t("passes.col.credits"), class: "credits" }, t("passes.credits", { used: s.credits_used, left })),
            h("td", { "data-label": t("passes.col.until") }, when(s.valid_until)),
            h("td", { "data-label": t("board.col.status") }, t(`passes.status.${s.status}`)),
            h("td", { "data-label": t("board.col.payment") }, paymentText(s)),
            h("td", { "data-label": t("board.col.actions") }, action),
          );
        }),
      ),
    ),
  );
}
