// The live board of maintenance tickets (websocket_frontend.html), a file of its own so the
// page's Content-Security-Policy can refuse every inline script.
(function () {
  "use strict";
  // API base: "" when served by the maintenance service itself; the gateway can set window.MAINTENANCE_API.
  var API = window.MAINTENANCE_API || "";
  var SOCKET_URL = window.MAINTENANCE_SOCKET_URL || undefined;
  var NEXT = { open: ["in_progress"], in_progress: ["resolved"], resolved: ["closed", "open"], closed: [] };
  var $ = function (id) { return document.getElementById(id); };
  var rows = {};
  var socket = null;
  var me = null;

  function setStatus(text, cls) { var s = $("status"); s.textContent = text; s.className = cls || ""; }
  function cell(tr, text, cls) { var td = document.createElement("td"); td.textContent = text == null ? "" : String(text); if (cls) td.className = cls; tr.appendChild(td); return td; }

  function claims(token) {
    try { return JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))); } catch (e) { return null; }
  }

  function api(method, path, body) {
    var opts = { method: method, headers: { "Authorization": "Bearer " + $("token").value.trim() } };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    return fetch(API + path, opts).then(function (r) {
      return r.json().then(function (data) { if (!r.ok) throw new Error(data.error || ("HTTP " + r.status)); return data; });
    });
  }

  function render(ticket, flash) {
    var tr = document.createElement("tr");
    tr.dataset.id = String(ticket.id);
    cell(tr, ticket.id);
    var title = cell(tr, ticket.title);
    if (ticket.possible_duplicate_of || ticket.similar_report_exists) {
      var d = document.createElement("div"); d.className = "muted";
      d.textContent = ticket.possible_duplicate_of ? "possible duplicate of #" + ticket.possible_duplicate_of : "a similar report already exists";
      title.appendChild(d);
    }
    cell(tr, ticket.location || "");
    var cat = cell(tr, ticket.category + " (" + Math.round(ticket.confidence * 100) + "%" + (ticket.classification_method === "keywords" ? ", keywords" : "") + ")");
    if (ticket.needs_review) cat.appendChild(document.createTextNode(" - needs review"));
    cell(tr, ticket.priority, ticket.priority === "urgent" ? "urgent" : "");
    cell(tr, ticket.department);
    cell(tr, ticket.status.replace("_", " "));
    cell(tr, ticket.user_name);
    cell(tr, new Date(ticket.updated_at).toLocaleString());
    var actions = cell(tr, "");
    if (me && me.role === "admin") {
      (NEXT[ticket.status] || []).forEach(function (next) {
        var b = document.createElement("button");
        b.type = "button";
        b.textContent = next === "open" ? "reopen" : next.replace("_", " ");
        b.addEventListener("click", function () {
          api("PUT", "/tickets/" + ticket.id, { status: next }).catch(function (e) { alert(e.message); });
        });
        actions.appendChild(b);
      });
    }
    if (flash) tr.className = "flash";
    var old = rows[ticket.id];
    var body = $("tickets");
    if (old && old.parentNode) body.replaceChild(tr, old); else body.insertBefore(tr, body.firstChild);
    rows[ticket.id] = tr;
  }

  function load() {
    return api("GET", "/tickets?per_page=100").then(function (page) {
      $("tickets").replaceChildren(); rows = {};
      page.tickets.slice().reverse().forEach(function (t) { render(t, false); });
    });
  }

  function connect() {
    var token = $("token").value.trim();
    me = claims(token);
    if (!me) { setStatus("paste a valid token", "error"); return; }
    try { localStorage.setItem("token", token); } catch (e) { /* private mode */ }
    $("who").textContent = (me.name || me.email || me.sub) + " (" + me.role + ")";
    if (socket) socket.disconnect();
    if (typeof io !== "function") { setStatus("Socket.IO client missing (npm ci --prefix gateway)", "error"); load(); return; }
    socket = io(SOCKET_URL, { auth: { token: token }, transports: ["websocket", "polling"] });
    socket.on("connect", function () { setStatus("live", "live"); load().catch(function (e) { setStatus(e.message, "error"); }); });
    socket.on("connect_error", function (err) { setStatus("refused: " + err.message, "error"); });
    socket.on("disconnect", function () { setStatus("offline", ""); });
    socket.on("ticket_created", function (t) { render(t, true); });
    socket.on("ticket_updated", function (t) { render(t, true); });
  }

  $("connect").addEventListener("click", connect);
  $("new-ticket").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var body = { title: $("title").value, description: $("description").value };
    if ($("location").value.trim()) body.location = $("location").value;
    api("POST", "/tickets", body).then(function (t) {
      $("form-msg").textContent = "Ticket #" + t.id + " filed as " + t.category + " (" + t.priority + ")";
      $("new-ticket").reset();
      render(t, true);
    }).catch(function (e) { $("form-msg").textContent = e.message; });
  });
  var saved = null;
  try { saved = localStorage.getItem("token"); } catch (e) { /* private mode */ }
  if (saved) { $("token").value = saved; connect(); }
})();
