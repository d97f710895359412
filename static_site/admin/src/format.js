import { getLang, t } from "./i18n.js";

const locale = () => (getLang() === "en" ? "en-GB" : "ru-RU");

export function when(iso, timeZone) {
  if (!iso) return "—";
  return new Intl.DateTimeFormat(locale(), {
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    timeZone: timeZone || undefined,
  }).format(new Date(iso));
}

export function stamp(iso) {
  if (!iso) return "—";
  return new Intl.DateTimeFormat(locale(), { dateStyle: "short", timeStyle: "medium" }).format(new Date(iso));
}

export function rub(kopecks) {
  if (kopecks === null || kopecks === undefined) return "—";
  const value = new Intl.NumberFormat(locale(), { maximumFractionDigits: 2 }).format(kopecks / 100);
  return `${value} ${t("common.rub")}`;
}

export function price(kopecks) {
  return kopecks ? rub(kopecks) : t("common.free");
}

// The offset (ms) of a time zone at an instant, from Intl's wall-clock parts.
function offsetAt(instant, timeZone) {
  const parts = {};
  for (const p of new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(instant))) {
    parts[p.type] = p.value;
  }
  const wall = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour % 24, +parts.minute, +parts.second);
  return wall - instant;
}

// "2026-12-05T18:30" at a venue's time zone → an ISO instant with offset (what the API wants).
export function venueLocalToIso(local, timeZone) {
  const [date, time] = local.split("T");
  const [y, m, d] = date.split("-").map(Number);
  const [hh, mm] = time.split(":").map(Number);
  const naive = Date.UTC(y, m - 1, d, hh, mm);
  let instant = naive - offsetAt(naive, timeZone);
  instant = naive - offsetAt(instant, timeZone);
  return new Date(instant).toISOString();
}

// An ISO instant → "YYYY-MM-DDTHH:MM" at the venue (for datetime-local inputs).
export function isoToVenueLocal(iso, timeZone) {
  const instant = new Date(iso).getTime();
  const local = new Date(instant + offsetAt(instant, timeZone));
  return local.toISOString().slice(0, 16);
}
