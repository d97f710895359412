// The admin API over fetch: the session cookie travels by itself (same origin, path /api/), the
// CSRF token from /login/verify goes in X-CSRF-Token on every mutation. Errors are RFC 9457
// problem JSON; ApiError carries the words to show.
import { getLang, t } from "./i18n.js";

const CSRF_KEY = "fpv-admin-csrf";

export class ApiError extends Error {
  constructor(status, message, problem = null) {
    super(message);
    this.status = status;
    this.problem = problem;
  }
}

export function csrf() {
  try {
    return sessionStorage.getItem(CSRF_KEY);
  } catch {
    return null;
  }
}

export function setCsrf(value) {
  try {
    if (value) sessionStorage.setItem(CSRF_KEY, value);
    else sessionStorage.removeItem(CSRF_KEY);
  } catch {
    /* the token then lives only in this page */
  }
}

let onUnauthorized = () => {};
export function whenUnauthorized(callback) {
  onUnauthorized = callback;
}

function describe(status, problem) {
  if (!problem || typeof problem !== "object") return t("error.unknown", { status });
  const parts = [problem.title || t("error.unknown", { status })];
  if (Array.isArray(problem.errors) && problem.errors.length) {
    for (const e of problem.errors.slice(0, 5)) {
      const field = (e.loc || []).filter((p) => p !== "body" && p !== "query").join(".");
      parts.push(field ? t("error.field", { field, msg: e.msg }) : e.msg);
    }
  } else if (problem.detail && problem.detail !== problem.code) {
    parts.push(`(${problem.detail})`);
  }
  return parts.join(" ");
}

export async function request(method, path, body) {
  const headers = { Accept: "application/json, application/problem+json", "Accept-Language": getLang() };
  const init = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (method !== "GET") {
    const token = csrf();
    if (token) headers["X-CSRF-Token"] = token;
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, t("error.network"));
  }
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json().catch(() => null) : await response.text();
  if (!response.ok) {
    const error = new ApiError(response.status, describe(response.status, data), data);
    const loginCall = path.startsWith("/api/admin/login");
    if (!loginCall && (response.status === 401 || (response.status === 403 && data?.code === "csrf"))) {
      onUnauthorized(error);
    }
    throw error;
  }
  return data;
}

export const api = {
  get: (path, query) => request("GET", withQuery(path, query)),
  post: (path, body = {}) => request("POST", path, body),
  patch: (path, body) => request("PATCH", path, body),
};

export function withQuery(path, query) {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `${path}?${s}` : path;
}

// A file from the API (GET with the session cookie), saved through a Blob link; progress is
// reported in bytes as they arrive (and the total, when the server sends Content-Length).
export async function download(path, fallbackName, onProgress = () => {}) {
  let response;
  try {
    response = await fetch(path, { credentials: "same-origin", headers: { "Accept-Language": getLang() } });
  } catch {
    throw new ApiError(0, t("error.network"));
  }
  if (!response.ok) {
    const data = await response.json().catch(() => null);
    if (response.status === 401) onUnauthorized();
    throw new ApiError(response.status, describe(response.status, data), data);
  }
  const total = Number(response.headers.get("content-length")) || 0;
  const reader = response.body.getReader();
  const chunks = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    onProgress(received, total);
  }
  const disposition = response.headers.get("content-disposition") || "";
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
  const name = match ? decodeURIComponent(match[1]) : fallbackName;
  const blob = new Blob(chunks, { type: response.headers.get("content-type") || "application/octet-stream" });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return { name, bytes: received };
}
