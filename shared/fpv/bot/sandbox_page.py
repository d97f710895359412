# ruff: noqa: E501 - an HTML document kept as a string
"""The /dev/chat page (kept in a module so it ships wherever the package goes). Bot output is
inserted with textContent only: nothing the bot or a user typed is ever parsed as HTML."""

PAGE = """<!doctype html>
<html lang="ru">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>FPV bot — chat sandbox</title>
<style>
  :root { --bg:#0e1621; --panel:#17212b; --bot:#182533; --me:#2b5278; --accent:#5ea5e8; --text:#e9eef3; --muted:#7f91a4; }
  * { box-sizing: border-box; }
  body { margin:0; font:15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:var(--bg); color:var(--text); display:flex; flex-direction:column; height:100vh; }
  header { background:var(--panel); padding:10px 14px; display:flex; gap:12px; align-items:center; flex-wrap:wrap; }
  header h1 { font-size:16px; margin:0 12px 0 0; }
  header label { color:var(--muted); font-size:13px; }
  header input, header select { background:var(--bg); color:var(--text); border:1px solid #2a3a4b; border-radius:6px; padding:4px 6px; width:120px; }
  #log { flex:1; overflow-y:auto; padding:16px; display:flex; flex-direction:column; gap:8px; }
  .msg { max-width:min(560px, 85%); padding:8px 12px; border-radius:12px; white-space:pre-wrap; word-wrap:break-word; }
  .bot { background:var(--bot); align-self:flex-start; border-bottom-left-radius:4px; }
  .me { background:var(--me); align-self:flex-end; border-bottom-right-radius:4px; }
  .toast { align-self:center; color:var(--muted); font-size:13px; background:#1f2c3a; border-radius:10px; padding:4px 10px; }
  .kb { display:flex; flex-direction:column; gap:4px; margin-top:8px; }
  .kb .row { display:flex; gap:4px; }
  .kb button { flex:1; background:#22303f; color:var(--accent); border:0; border-radius:8px; padding:7px 6px; cursor:pointer; font:inherit; font-size:14px; }
  .kb button:hover { background:#2a3b4d; }
  .photo { display:inline-block; padding:18px 26px; margin-bottom:6px; border:1px dashed var(--muted); border-radius:8px; color:var(--muted); }
  footer { background:var(--panel); padding:8px; display:flex; flex-direction:column; gap:6px; }
  #quick { display:flex; gap:6px; flex-wrap:wrap; }
  #quick button { background:#22303f; color:var(--accent); border:0; border-radius:14px; padding:4px 10px; cursor:pointer; }
  form { display:flex; gap:8px; }
  #text { flex:1; background:var(--bg); color:var(--text); border:1px solid #2a3a4b; border-radius:8px; padding:9px; font:inherit; }
  #sendbtn { background:var(--accent); color:#fff; border:0; border-radius:8px; padding:0 18px; cursor:pointer; font:inherit; }
  .status { color:#e88; font-size:12px; align-self:center; }
</style>
</head>
<body>
<header>
  <h1>🛸 FPV bot — chat sandbox</h1>
  <label>Telegram id <input id="chat" type="number" min="1"></label>
  <label>Language <select id="lang"><option value="ru">ru</option><option value="en">en</option></select></label>
  <span class="status" id="status"></span>
</header>
<div id="log" aria-live="polite"></div>
<footer>
  <div id="quick"></div>
  <form id="form" autocomplete="off">
    <input id="text" placeholder="Message / сообщение" maxlength="4096">
    <button id="sendbtn" type="submit">Send</button>
  </form>
</footer>
<script>
(() => {
  const log = document.getElementById("log");
  const chatInput = document.getElementById("chat");
  const langInput = document.getElementById("lang");
  const status = document.getElementById("status");
  const saved = Number(localStorage.getItem("fpv-sandbox-chat"));
  chatInput.value = saved > 0 ? saved : 5000000 + Math.floor(Math.random() * 999999);
  langInput.value = localStorage.getItem("fpv-sandbox-lang") || "ru";
  let after = -1;
  const bubbles = new Map();  // message_id -> bubble element

  function chatId() { return Number(chatInput.value); }
  function scroll() { log.scrollTop = log.scrollHeight; }

  function renderButtons(bubble, rows, messageId) {
    bubble.querySelector(".kb")?.remove();
    if (!rows || !rows.length) return;
    const kb = document.createElement("div");
    kb.className = "kb";
    for (const row of rows) {
      const r = document.createElement("div");
      r.className = "row";
      for (const b of row) {
        const btn = document.createElement("button");
        btn.type = "button";
        btn.textContent = b.text;
        if (b.url) { btn.addEventListener("click", () => window.open(b.url, "_blank", "noopener")); }
        else { btn.addEventListener("click", () => press(b.data, messageId)); }
        r.appendChild(btn);
      }
      kb.appendChild(r);
    }
    bubble.appendChild(kb);
  }

  function fill(bubble, m) {
    bubble.textContent = "";
    if (m.photo) {
      const p = document.createElement("div");
      p.className = "photo";
      p.textContent = "🖼 QR / photo";
      bubble.appendChild(p);
      bubble.appendChild(document.createElement("br"));
    }
    if (m.invoice) {
      const p = document.createElement("div");
      p.className = "photo";
      p.textContent = "🧾 " + (m.title || "Invoice");
      bubble.appendChild(p);
      bubble.appendChild(document.createElement("br"));
    }
    bubble.appendChild(document.createTextNode(m.text || ""));
    renderButtons(bubble, m.buttons, m.message_id);
  }

  function show(m) {
    if (m.kind === "toast") {
      const t = document.createElement("div");
      t.className = "toast";
      t.textContent = m.text;
      log.appendChild(t);
    } else if (m.kind === "edit" && bubbles.has(m.message_id)) {
      fill(bubbles.get(m.message_id), m);
    } else if (m.kind === "markup") {
      const b = bubbles.get(m.message_id);
      if (b) renderButtons(b, m.buttons, m.message_id);
    } else if (m.kind === "message" || m.kind === "edit") {
      const b = document.createElement("div");
      b.className = "msg bot";
      fill(b, m);
      bubbles.set(m.message_id, b);
      log.appendChild(b);
    }
    scroll();
  }

  function mine(text) {
    const b = document.createElement("div");
    b.className = "msg me";
    b.textContent = text;
    log.appendChild(b);
    scroll();
  }

  async function call(path, body) {
    try {
      const r = await fetch(path, {method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify({...body, chat_id: chatId(), language: langInput.value})});
      const j = await r.json();
      status.textContent = (j.webhook_status && j.webhook_status !== 200)
        ? "webhook answered " + j.webhook_status : (j.error || "");
    } catch (e) { status.textContent = "sandbox unreachable"; }
    poll();
  }
  function send(text) { mine(text); return call("/dev/chat/api/send", {text}); }
  function press(data, messageId) { return call("/dev/chat/api/press", {data, message_id: messageId}); }

  let polling = false;
  async function poll() {
    if (polling) return;
    polling = true;
    try {
      const r = await fetch(`/dev/chat/api/messages?chat_id=${chatId()}&after=${after}`);
      const j = await r.json();
      for (const m of j.messages || []) { show(m); after = Math.max(after, m.seq); }
    } catch (e) { /* the server restarts: try again on the next tick */ }
    polling = false;
  }

  function reset() {
    localStorage.setItem("fpv-sandbox-chat", chatInput.value);
    localStorage.setItem("fpv-sandbox-lang", langInput.value);
    log.textContent = ""; bubbles.clear(); after = -1; poll();
  }
  chatInput.addEventListener("change", reset);
  langInput.addEventListener("change", reset);

  for (const cmd of ["/start", "/trainings", "/my", "/profile", "/schedule", "/help", "/delete_me"]) {
    const b = document.createElement("button");
    b.type = "button"; b.textContent = cmd;
    b.addEventListener("click", () => send(cmd));
    document.getElementById("quick").appendChild(b);
  }
  document.getElementById("form").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = document.getElementById("text");
    const text = input.value.trim();
    if (text) { input.value = ""; send(text); }
  });
  reset();
  setInterval(poll, 800);
})();
</script>
</body>
</html>
"""
