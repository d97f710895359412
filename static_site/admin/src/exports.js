// Downloads of the exports the server offers: every GET /api/admin/exports/... operation in its
// OpenAPI document becomes buttons, one per format it lists (the `format` parameter's values:
// CSV and PDF for the pilot list and the audit log; NDJSON for the audit chain), with the CSV
// separator where the operation takes one. The file is made by the API (UTF-8 with a BOM, the
// language of the page); the page shows "preparing" while the server builds it, then the bytes
// (and the share, when the size is known) as they arrive, and API errors in words.
import { download } from "./api.js";
import { h } from "./dom.js";
import { getLang, t } from "./i18n.js";

function formatsOf(path, op) {
  const fmt = (op.parameters || []).find((p) => p.name === "format");
  const values = fmt?.schema?.enum || fmt?.schema?.anyOf?.flatMap((s) => s.enum || []) || [];
  if (values.length) return values.map((v) => ({ ext: v, query: { format: v } }));
  const ext = /\.(csv|pdf|ndjson|json)$/.exec(path)?.[1];
  if (ext) return [{ ext, query: {} }];
  const types = Object.keys(op.responses?.["200"]?.content || {});
  if (types.some((c) => c.includes("ndjson"))) return [{ ext: "ndjson", query: {} }];
  return [{ ext: "json", query: {} }];
}

function kindOf(path) {
  if (path.includes("{training_id}")) return "pilots";
  if (path.includes("audit")) return "audit";
  return path.split("/").pop().replace(/\..*$/, "");
}

function labelOf(kind, ext) {
  const key = `export.${kind}`;
  const name = t(key) === key ? kind : t(key);
  return `${name} (${ext.toUpperCase()})`;
}

function kb(bytes) {
  return Math.max(1, Math.round(bytes / 1024));
}

// One download button with its progress line.
function button({ url, query, ext, kind, note, separator }) {
  const b = h("button", { type: "button", class: "ghost", dataset: { export: ext, exportKind: kind } }, "⤓ ", labelOf(kind, ext));
  const bar = h("progress", { hidden: true, max: 100 });
  const progress = h("span", { class: "progress", "aria-live": "polite" });
  b.addEventListener("click", async () => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...query, ...(separator ? { sep: separator.value } : {}) })) {
      if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
    }
    b.disabled = true;
    b.setAttribute("aria-busy", "true");
    bar.hidden = false;
    bar.removeAttribute("value"); // indeterminate while the server builds the file
    progress.textContent = t("export.preparing");
    try {
      const got = await download(`${url}?${params}`, `export.${ext}`, (bytes, total) => {
        if (total) {
          bar.value = Math.min(100, Math.round((100 * bytes) / total));
          progress.textContent = t("export.progress.share", { kb: kb(bytes), total: kb(total) });
        } else {
          progress.textContent = t("export.progress", { kb: kb(bytes) });
        }
      });
      progress.textContent = t("export.done", { name: got.name, kb: kb(got.bytes) });
    } catch (error) {
      progress.textContent = "";
      note.error(error.message);
    } finally {
      bar.hidden = true;
      b.disabled = false;
      b.removeAttribute("aria-busy");
    }
  });
  return h("span", { class: "export" }, b, bar, progress);
}

// The export controls for a training (trainingId) or for the audit log (query: its filters).
export function exportControls(paths, { trainingId, query = {}, note }) {
  const controls = [];
  for (const [path, ops] of Object.entries(paths || {})) {
    if (!ops.get || !path.startsWith("/api/admin/exports/")) continue;
    if (Boolean(trainingId) !== path.includes("{training_id}")) continue;
    const op = ops.get;
    const names = new Set((op.parameters || []).map((p) => p.name));
    const url = path.replace("{training_id}", encodeURIComponent(trainingId ?? ""));
    const kind = kindOf(path);
    const shared = {};
    for (const [k, v] of Object.entries(query)) if (names.has(k)) shared[k] = v;
    if (names.has("lang")) shared.lang = getLang();
    const formats = formatsOf(path, op);
    let separator = null;
    if (names.has("sep") && formats.some((f) => f.ext === "csv")) {
      separator = h(
        "select",
        { "aria-label": t("csv.sep"), class: "csv-sep", dataset: { csvSep: kind } },
        h("option", { value: ";", selected: getLang() === "ru" }, t("csv.sep.semicolon")),
        h("option", { value: ",", selected: getLang() === "en" }, t("csv.sep.comma")),
      );
    }
    const group = h("span", { class: "export-group", role: "group", "aria-label": labelOf(kind, formats.map((f) => f.ext).join("/")), dataset: { exports: kind } });
    for (const f of formats) {
      group.append(button({ url, query: { ...shared, ...f.query }, ext: f.ext, kind, note, separator: f.ext === "csv" ? separator : null }));
    }
    if (separator) group.append(separator);
    controls.push(group);
  }
  return controls;
}
