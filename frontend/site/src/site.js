// The public site's script: live seats/channels (polls schedule.json), filters combined in place,
// the venue map (Leaflet). Every page works without it. Data only ever goes in as text.
import L from "leaflet";

(function () {
  "use strict";
  var root = document.documentElement;
  var url = root.getAttribute("data-schedule");
  var lang = root.getAttribute("lang") || "ru";
  var seconds = parseInt(root.getAttribute("data-poll"), 10) || 10;
  var etag = null;
  var DIMS = ["when", "city", "venue", "track", "seats", "price"];

  function each(selector, fn, scope) {
    var nodes = (scope || document).querySelectorAll(selector);
    for (var i = 0; i < nodes.length; i++) fn(nodes[i]);
  }

  // --- "updated" stamp: shown in the reader's language, always with its zone (UTC) ------------
  function formatTime(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return null;
    try {
      return new Intl.DateTimeFormat(lang, {
        day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
        timeZone: "UTC", timeZoneName: "short",
      }).format(d);
    } catch (e) {
      return d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
    }
  }

  function showUpdated(iso) {
    var text = formatTime(iso);
    each("[data-updated]", function (el) {
      el.setAttribute("datetime", iso);
      if (text) el.textContent = text;
    });
  }

  // --- live updates ----------------------------------------------------------------------------
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
      var cancelled = t.status === "cancelled";
      each('[data-seats-left="' + id + '"]', function (el) {
        var text = String(t.seats_left);
        if (el.textContent !== text) el.textContent = text;
      });
      each('[data-seats-wrap="' + id + '"]', function (el) { el.hidden = cancelled; });
      each('[data-cancelled="' + id + '"]', function (el) { el.hidden = !cancelled; });
      each('[data-open="' + id + '"]', function (el) { el.hidden = !t.open; });
      each('[data-full="' + id + '"]', function (el) { el.hidden = t.seats_left > 0 || cancelled; });
      each('li.card[data-training="' + id + '"]', function (el) {
        el.setAttribute("data-seats", t.open && t.seats_left > 0 ? "free" : "none");
        el.classList.toggle("is-cancelled", cancelled);
      });
      renderBoard(id, t.channels || []);
    });
    if (doc.generated_at) showUpdated(doc.generated_at);
    filters.refresh();
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

  // --- filters: the same rules as fpv/site/filters.py ------------------------------------------
  function cardMatches(card, state) {
    var d = card.dataset;
    if (state.when) {
      if (state.when === "today" && d.day !== d.today) return false;
      if ((state.when === "week" || state.when === "weekend") &&
          !(d.today <= d.day && d.day <= d.weekEnd)) return false;
      if (state.when === "weekend") {
        var weekday = new Date(d.day + "T12:00:00Z").getUTCDay();
        if (weekday !== 0 && weekday !== 6) return false;
      }
    }
    if (state.city && d.city !== state.city) return false;
    if (state.venue && d.venue !== state.venue) return false;
    if (state.track && d.track !== state.track) return false;
    if (state.seats === "free" && d.seats !== "free") return false;
    if (state.price && d.price !== state.price) return false;
    return true;
  }

  var filters = (function () {
    var nav = document.querySelector("[data-filters]");
    var list = document.querySelector("[data-full-list]");
    var reset = document.querySelector("[data-reset]");
    var scheduleUrl = (reset && reset.getAttribute("href")) ||
      (lang === "ru" ? "/schedule.html" : "/" + lang + "/schedule.html");
    var state = {};

    function pageState() {
      // what the page shows: its active chips (a filter page, a city page)
      var found = {};
      if (!nav) return found;
      each("a.chip[aria-current]", function (a) {
        if (a.dataset.value) found[a.dataset.filter] = a.dataset.value;
      }, nav);
      return found;
    }

    function query(s) {
      var params = new URLSearchParams();
      DIMS.forEach(function (k) { if (s[k]) params.set(k, s[k]); });
      var text = params.toString();
      return text ? "?" + text : "";
    }

    function toggled(s, dim, value) {
      var next = {};
      DIMS.forEach(function (k) { if (s[k]) next[k] = s[k]; });
      if (!value || next[dim] === value) delete next[dim];
      else next[dim] = value;
      return next;
    }

    function mark() {
      each("a.chip", function (a) {
        var dim = a.dataset.filter, value = a.dataset.value;
        var on = value ? state[dim] === value : !state[dim] && dim !== "seats";
        if (on) a.setAttribute("aria-current", "true"); else a.removeAttribute("aria-current");
        a.href = scheduleUrl.split("?")[0] + query(toggled(state, dim, value));
      }, nav);
    }

    function refresh() {
      if (!list) return;
      var shown = 0;
      each("section.day", function (day) {
        var visible = 0;
        each("li.card", function (card) {
          var ok = cardMatches(card, state);
          card.hidden = !ok;
          if (ok) visible++;
        }, day);
        day.hidden = visible === 0;
        shown += visible;
      }, list);
      each("[data-empty]", function (el) { el.hidden = shown > 0; }, list);
      each("[data-count]", function (el) {
        el.textContent = (el.getAttribute("data-template") || "{count}").replace("{count}", shown);
      });
      root.setAttribute("data-filtered", query(state) || "all");
    }

    function start() {
      if (!nav) return;
      state = pageState();
      if (list) {
        var params = new URLSearchParams(window.location.search);
        DIMS.forEach(function (k) { if (params.get(k)) state[k] = params.get(k); });
        nav.addEventListener("click", function (event) {
          var a = event.target.closest("a.chip");
          if (!a || event.metaKey || event.ctrlKey || event.shiftKey) return;
          event.preventDefault();
          state = toggled(state, a.dataset.filter, a.dataset.value);
          window.history.replaceState(null, "", window.location.pathname + query(state));
          mark();
          refresh();
        });
      }
      mark();
      refresh();
      root.setAttribute("data-filtered", query(state) || "all");
    }

    return { start: start, refresh: refresh };
  })();

  // --- the venue map ---------------------------------------------------------------------------
  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  function startMaps() {
    each("[data-map]", function (el) {
      var section = el.parentNode;
      var points = [];
      each("li.venue-item[data-lat]", function (item) {
        var lat = parseFloat(item.dataset.lat), lon = parseFloat(item.dataset.lon);
        if (isFinite(lat) && isFinite(lon)) points.push({ item: item, at: [lat, lon] });
      }, section);
      if (!points.length) return;
      el.hidden = false;
      var map = L.map(el, { scrollWheelZoom: false, attributionControl: false });
      L.control.attribution({ prefix: false }).addTo(map);
      var tiles = el.getAttribute("data-tiles");
      if (tiles) {
        L.tileLayer(tiles, {
          maxZoom: 18,
          attribution: escapeHtml(el.getAttribute("data-attribution") || ""),
        })
          .on("tileerror", function () { el.classList.add("tiles-failed"); })
          .on("tileload", function () { el.classList.add("tiles-ok"); })
          .addTo(map);
      } else {
        el.classList.add("tiles-failed");
      }
      var bounds = [];
      points.forEach(function (p) {
        var name = p.item.querySelector(".venue-name");
        var label = name ? name.textContent.trim() : "";
        var marker = L.marker(p.at, {
          icon: L.divIcon({ className: "pin", iconSize: [30, 30], iconAnchor: [15, 28], popupAnchor: [0, -26] }),
          title: label,
          alt: label,
          keyboard: true,
        });
        var popup = document.createElement("div");
        popup.className = "pin-popup";
        ["h3", "ul.next", "p.map-links"].forEach(function (selector) {
          var part = p.item.querySelector(selector);
          if (part) popup.appendChild(part.cloneNode(true));
        });
        marker.bindPopup(popup).addTo(map);
        marker.getElement && marker.getElement() && marker.getElement().setAttribute("data-venue-pin", p.item.dataset.venueSlug);
        bounds.push(p.at);
      });
      if (bounds.length === 1) map.setView(bounds[0], 14);
      else map.fitBounds(bounds, { padding: [30, 30], maxZoom: 13 });
      el.setAttribute("data-markers", String(bounds.length));
    });
  }

  function englishNotFound() {
    // the CDN serves the Russian 404 page for every missing key; under /en/ show its English part
    var en = document.querySelector('[data-notfound="en"]');
    if (!en || window.location.pathname.indexOf("/en/") !== 0) return;
    var ru = document.querySelector('[data-notfound="ru"]');
    if (ru) ru.hidden = true;
    en.hidden = false;
    en.removeAttribute("lang");
    root.setAttribute("lang", "en");
    lang = "en";
    var title = en.querySelector(".title");
    if (title) document.title = title.textContent;
  }

  function start() {
    englishNotFound();
    each("[data-updated]", function (el) {
      var iso = el.getAttribute("datetime");
      if (iso) showUpdated(iso);
    });
    absoluteFeeds();
    filters.start();
    try {
      startMaps();
    } catch (e) {
      root.setAttribute("data-map", "error");
    }
    if (url && window.fetch) poll();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
