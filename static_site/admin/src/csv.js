// CSV files made in the page from what the API answered: UTF-8 with a BOM (so Excel opens
// Cyrillic correctly), CRLF lines, RFC 4180 quoting, "," or ";" between fields. A text cell that
// starts like a formula is prefixed with an apostrophe so a spreadsheet never runs it.
const FORMULA = /^[=+\-@\t\r]/;

export function csvCell(value, sep) {
  if (value === null || value === undefined) return "";
  let text = typeof value === "object" ? JSON.stringify(value) : String(value);
  if (typeof value === "string" && FORMULA.test(text) && !/^-?\d+([.,]\d+)?$/.test(text)) text = `'${text}`;
  return text.includes(sep) || /["\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(header, rows, sep = ";") {
  const lines = [header, ...rows].map((row) => row.map((v) => csvCell(v, sep)).join(sep));
  return `\uFEFF${lines.join("\r\n")}\r\n`;
}

export function saveFile(name, text, type = "text/csv;charset=utf-8") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
