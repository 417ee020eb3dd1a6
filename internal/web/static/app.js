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

// Intake: the upload form sends its file with XMLHttpRequest so that the
// page can show upload progress, then shows the server's answer (the page
// it renders for the same form without script) in place of this one's
// main content. The CSRF token goes in the X-CSRF-Token header as well as
// the form's first field.
(function () {
  "use strict";
  function bind(root) {
    var form = root.querySelector("#intake-form");
    if (!form || !window.FormData || !window.XMLHttpRequest) { return; }
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var box = form.querySelector(".upload-progress");
      var bar = form.querySelector("progress");
      var text = document.getElementById("in-progress-text");
      // A file past the server's limit is not sent at all (the server
      // would refuse it, and might close the connection before the
      // browser reads why).
      var input = form.querySelector("input[type=file]");
      var max = parseInt(form.getAttribute("data-max") || "0", 10);
      if (max && input && input.files.length && input.files[0].size > max) {
        if (box) { box.hidden = false; }
        if (text) { text.textContent = form.getAttribute("data-toolarge") || ""; }
        return;
      }
      var button = form.querySelector("button[type=submit]");
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action"));
      xhr.setRequestHeader("X-CSRF-Token", document.body.getAttribute("data-csrf") || "");
      xhr.responseType = "document";
      if (box) { box.hidden = false; }
      if (text) { text.textContent = form.getAttribute("data-sending") || ""; }
      if (button) { button.disabled = true; }
      var rearmed = Date.now();
      xhr.upload.addEventListener("progress", function (e) {
        // The server counts a long upload as activity: so does the idle timer.
        if (Date.now() - rearmed > 30000) {
          rearmed = Date.now();
          document.dispatchEvent(new Event("htmx:afterRequest"));
        }
        if (!e.lengthComputable || !bar) { return; }
        var pct = Math.floor(e.loaded * 100 / e.total);
        bar.value = pct;
        document.documentElement.setAttribute("data-upload-progress", String(pct));
        if (text) { text.textContent = pct + "%"; }
      });
      xhr.addEventListener("load", function () {
        var doc = xhr.response;
        var main = document.getElementById("main");
        var got = doc && doc.getElementById("main");
        if (!got || !main) { window.location.assign("/intake"); return; }
        main.replaceChildren.apply(main, Array.prototype.map.call(got.childNodes, function (n) {
          return document.importNode(n, true);
        }));
        bind(main);
        var focus = main.querySelector("#intake-result, .error");
        if (focus) { focus.setAttribute("tabindex", "-1"); focus.focus(); }
        document.dispatchEvent(new Event("htmx:afterRequest")); // keeps the idle timer in step
      });
      xhr.addEventListener("error", function () {
        if (text) { text.textContent = form.getAttribute("data-neterr") || ""; }
        if (button) { button.disabled = false; }
      });
      xhr.send(new FormData(form));
    });
  }
  bind(document);
})();

// Selecting text: in a text shown with data-sel-item, a selection fills the
// form beside it (data-for) with its start and end counted in characters
// (code points) of the text shown, and the selected string, which the
// server checks against the item. Selecting elsewhere (in the form's own
// fields, say) keeps the last selection made in the text.
(function () {
  "use strict";
  var forms = document.querySelectorAll("form.seltools");
  if (!forms.length) { return; }
  function chars(s) { return Array.from(s).length; }
  function before(el, node, offset) {
    var r = document.createRange();
    r.selectNodeContents(el);
    r.setEnd(node, offset);
    return r.toString();
  }
  function update() {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) { return; }
    var range = sel.getRangeAt(0);
    Array.prototype.forEach.call(forms, function (form) {
      var el = document.querySelector('[data-sel-item="' + form.getAttribute("data-for") + '"]');
      if (!el || !el.contains(range.startContainer) || !el.contains(range.endContainer)) { return; }
      var start = chars(before(el, range.startContainer, range.startOffset));
      var end = chars(before(el, range.endContainer, range.endOffset));
      if (end <= start) { return; }
      var text = Array.from(el.textContent).slice(start, end).join("");
      form.elements.start.value = String(start);
      form.elements.end.value = String(end);
      form.elements.text.value = text;
      var shown = form.querySelector(".sel-text");
      if (shown) { shown.textContent = text.length > 120 ? text.slice(0, 120) + "…" : text; }
      var none = form.querySelector(".sel-none");
      var chosen = form.querySelector(".sel-chosen");
      if (none) { none.hidden = true; }
      if (chosen) { chosen.hidden = false; }
      Array.prototype.forEach.call(form.querySelectorAll(".sel-go"), function (b) { b.disabled = false; });
    });
  }
  document.addEventListener("selectionchange", update);
})();

// Record forms: a suggestion picked beside a list field (one value a line)
// is added to the list as a new line.
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("input.suggest[data-for]"), function (inp) {
    inp.addEventListener("change", function () {
      var ta = document.getElementById(inp.getAttribute("data-for"));
      var v = inp.value.trim();
      if (!ta || v === "") { return; }
      ta.value = ta.value.replace(/\s+$/, "") + (ta.value.trim() === "" ? "" : "\n") + v;
      inp.value = "";
    });
  });
})();
