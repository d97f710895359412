// Live updates: polls schedule.json with If-None-Match and refreshes seats, channel boards,
// cancellations and "last updated" in place. Data only ever goes in through textContent.
(function () {
  "use strict";
  var root = document.documentElement;
  var url = root.getAttribute("data-schedule");
  var lang = root.getAttribute("lang") || "ru";
  var seconds = parseInt(root.getAttribute("data-poll"), 10) || 10;
  var etag = null;

  function each(selector, fn) {
    var nodes = document.querySelectorAll(selector);
    for (var i = 0; i < nodes.length; i++) fn(nodes[i]);
  }

  function formatTime(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return null;
    try {
      return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" }).format(d);
    } catch (e) {
      return d.toLocaleString();
    }
  }

  function showUpdated(iso) {
    var text = formatTime(iso);
    each("[data-updated]", function (el) {
      el.setAttribute("datetime", iso);
      if (text) el.textContent = text;
    });
  }

  function cell(text, muted) {
    var td = document.createElement("td");
    if (muted) {
      var span = document.createElement("span");
      span.className = "muted";
      span.textContent = text;
      td.appendChild(span);
    } else {
      td.textContent = text;
    }
    return td;
  }

  function renderBoard(id, channels) {
    each('[data-channels="' + id + '"]', function (tbody) {
      var table = tbody.closest("table");
      var hidden = table ? table.getAttribute("data-hidden-label") : "";
      var rows = document.createDocumentFragment();
      channels.forEach(function (ch) {
        var tr = document.createElement("tr");
        tr.appendChild(cell(String(ch.heat), false));
        tr.appendChild(cell(ch.label || "", false));
        tr.appendChild(cell(String(ch.mhz), false));
        tr.appendChild(ch.pilot ? cell(ch.pilot, false) : cell(hidden, true));
        rows.appendChild(tr);
      });
      tbody.replaceChildren(rows);
      if (table) table.hidden = channels.length === 0;
    });
    each('[data-channels-empty="' + id + '"]', function (el) { el.hidden = channels.length > 0; });
  }

  function apply(doc) {
    (doc.trainings || []).forEach(function (t) {
      var id = t.id;
      each('[data-seats-left="' + id + '"]', function (el) {
        var text = String(t.seats_left);
        if (el.textContent !== text) el.textContent = text;
      });
      each('[data-cancelled="' + id + '"]', function (el) { el.hidden = t.status !== "cancelled"; });
      each('[data-full="' + id + '"]', function (el) {
        el.hidden = t.seats_left > 0 || t.status === "cancelled";
      });
      renderBoard(id, t.channels || []);
    });
    if (doc.generated_at) showUpdated(doc.generated_at);
    root.setAttribute("data-live", "ok");
  }

  function poll() {
    var headers = {};
    if (etag) headers["If-None-Match"] = etag;
    fetch(url, { headers: headers, cache: "no-store", credentials: "omit" })
      .then(function (response) {
        if (response.status === 304) return null;
        if (!response.ok) throw new Error("HTTP " + response.status);
        etag = response.headers.get("ETag");
        return response.json();
      })
      .then(function (doc) { if (doc) apply(doc); })
      .catch(function () { root.setAttribute("data-live", "error"); })
      .then(function () { window.setTimeout(poll, seconds * 1000); });
  }

  function absoluteFeeds() {
    // Calendar apps need absolute URLs; the page knows where it is served from.
    each("[data-google-feed]", function (a) {
      var feed = new URL(a.getAttribute("data-google-feed"), window.location.href);
      var webcal = "webcal://" + feed.host + feed.pathname;
      a.href = "https://calendar.google.com/calendar/render?cid=" + encodeURIComponent(webcal);
    });
  }

  function start() {
    each("[data-updated]", function (el) {
      var iso = el.getAttribute("datetime");
      if (iso) showUpdated(iso);
    });
    absoluteFeeds();
    if (url && window.fetch) poll();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
