// sori web app: the idle warning. Loaded by <script src> under the page's
// CSP nonce; no inline script, no eval.
(function () {
  "use strict";
  var body = document.body;
  // Marks that scripts run under the page's CSP (the browser test reads it).
  document.documentElement.setAttribute("data-js", window.htmx ? "htmx" : "on");
  var idle = parseInt(body.getAttribute("data-idle") || "0", 10);
  if (!idle) { return; }
  var warnAt = Math.max(idle - 60, 1) * 1000;
  var box = document.getElementById("idle-warning");
  var stay = document.getElementById("idle-stay");
  var warnTimer, endTimer;
  function arm() {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    if (box) { box.hidden = true; }
    warnTimer = setTimeout(function () {
      if (box) { box.hidden = false; if (stay) { stay.focus(); } }
    }, warnAt);
    endTimer = setTimeout(function () {
      window.location.assign("/login?expired=1");
    }, idle * 1000 + 2000);
  }
  if (stay) {
    stay.addEventListener("click", function () {
      fetch("/ping", {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": body.getAttribute("data-csrf") || "" }
      }).then(function (r) {
        if (r.ok) { arm(); } else { window.location.assign("/login?expired=1"); }
      });
    });
  }
  // Every htmx request also keeps the login alive on the server.
  document.addEventListener("htmx:afterRequest", arm);
  arm();
})();
