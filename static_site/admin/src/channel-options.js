// The channels a seated pilot could move to, as the server's allocator sees them
// (GET /api/admin/registrations/{id}/channel-options): free in the heat, legal at the venue and
// tunable by the pilot's VTX — digital systems (DJI, Walksnail, HDZero) included, which the
// page's own analog table cannot offer — each with the heat's rating were the pilot there.
import { api } from "./api.js";
import { busy, h } from "./dom.js";
import { t } from "./i18n.js";

const PATH = "/api/admin/registrations/{registration_id}/channel-options";

// Map registration id → the API's answer; empty when the server has no such route (then the
// board offers the analog channels it computes itself).
export async function channelOptions(paths, regs) {
  const found = new Map();
  if (!paths?.[PATH]?.get) return found;
  await Promise.all(
    regs.map(async (r) => {
      try {
        found.set(r.id, await api.get(`/api/admin/registrations/${r.id}/channel-options`));
      } catch {
        /* this row falls back to the page's analog list */
      }
    }),
  );
  return found;
}

export function optionsMoveControl(r, nick, ctx, answer) {
  const select = h(
    "select",
    { "aria-label": t("board.move.to", { nick }), class: "move-select", dataset: { source: "server" } },
    answer.options.map((o) => h("option", { value: o.channel_mhz, selected: o.channel_mhz === r.channel_mhz }, `${o.channel_label} · ${o.channel_mhz} · ${t("board.rating")} ${o.rating}`)),
  );
  if (!answer.options.some((o) => o.channel_mhz === r.channel_mhz)) {
    select.prepend(h("option", { value: r.channel_mhz, selected: true }, `${r.channel_label || ""} · ${r.channel_mhz}`));
  }
  const preview = h("output", { class: "preview", "aria-live": "polite" });
  const move = h("button", { type: "button", class: "primary", disabled: true }, t("board.move"));
  select.addEventListener("change", () => {
    const target = Number(select.value);
    move.disabled = target === r.channel_mhz;
    const o = answer.options.find((x) => x.channel_mhz === target);
    if (target === r.channel_mhz || !o) {
      preview.textContent = "";
      return;
    }
    preview.className = `preview ${o.rating >= ctx.rating ? "good" : "bad"}`;
    preview.textContent = t("board.preview", { rating: o.rating, now: ctx.rating, spacing: o.min_spacing_mhz ?? "—" });
  });
  move.addEventListener("click", async () => {
    const result = await busy(move, ctx.note, () => api.post(`/api/admin/registrations/${r.id}/channel`, { channel_mhz: Number(select.value) }));
    if (!result) return;
    await ctx.reload();
    ctx.note.ok(t("board.moved", { nick, label: result.channel_label, mhz: result.channel_mhz, rating: result.rating, spacing: result.min_spacing_mhz ?? "—" }));
  });
  return h("span", { class: "move" }, select, move, preview);
}
