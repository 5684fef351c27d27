// deskbot pages: live regions and small behaviours. No build step; loaded
// after htmx. A region with data-sse listens to that event stream and, on
// each "changed" event, reloads its content from data-src (or the current
// URL when empty) with htmx.
(function () {
  "use strict";
  function live(el) {
    var timer = null;
    var wait = parseInt(el.dataset.debounce || "100", 10);
    var es = new EventSource(el.dataset.sse);
    es.addEventListener("changed", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var src = el.dataset.src || (location.pathname + location.search);
        htmx.ajax("GET", src, { target: el, swap: "innerHTML" });
      }, wait);
    });
    window.addEventListener("pagehide", function () { es.close(); });
  }
  function scrollLog() {
    var log = document.getElementById("log");
    if (log) { log.scrollTop = log.scrollHeight; }
    var end = document.getElementById("log-end");
    if (end) { end.scrollIntoView({ block: "end" }); }
  }
  // A form with data-confirm asks before it is sent (deactivating
  // someone, releasing their tickets).
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (f.dataset && f.dataset.confirm && !window.confirm(f.dataset.confirm)) { e.preventDefault(); }
  }, true);
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-sse]").forEach(live);
    scrollLog();
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    var form = e.detail.elt.closest ? e.detail.elt.closest("form[data-reset]") : null;
    if (form && e.detail.successful) { form.reset(); }
    // An action that went through ends the previous action's error.
    var verb = e.detail.requestConfig ? e.detail.requestConfig.verb : "get";
    if (e.detail.successful && verb !== "get") { clearFlash(); }
  });
  // A refused action's error comes back at the top of the live region,
  // which the next live refresh (any change to the ticket, by anyone)
  // would replace: it moves to the flash line, outside the region, and
  // stays until the next action.
  document.addEventListener("htmx:afterSwap", function (e) {
    var xhr = e.detail.xhr;
    var err = e.detail.target.querySelector(":scope > .error[role=alert]");
    if (xhr && xhr.status >= 400 && err && e.detail.target.dataset.sse) {
      flash(err.textContent.trim());
      err.remove();
    }
    scrollLog();
  });
  // A refused or failed action (403, 404, 500, 503…) comes back as the
  // page part with its error in it: show it, as a 409 or 422 is. A bare
  // text error (an expired form, too many tries) goes in a flash line.
  document.addEventListener("htmx:beforeSwap", function (e) {
    var xhr = e.detail.xhr;
    if (xhr.status < 400 || e.detail.shouldSwap) { return; }
    var type = xhr.getResponseHeader("Content-Type") || "";
    if (type.indexOf("text/html") === 0) {
      e.detail.shouldSwap = true;
      return;
    }
    flash((xhr.responseText || "").trim() || String(xhr.status));
  });
  document.addEventListener("htmx:sendError", function () {
    flash(document.body.dataset.offline || "offline");
  });
  function clearFlash() {
    var el = document.getElementById("flash");
    if (el) { el.remove(); }
  }
  function flash(text) {
    var el = document.getElementById("flash");
    if (!el) {
      el = document.createElement("p");
      el.id = "flash";
      el.className = "error";
      el.setAttribute("role", "alert");
      var main = document.querySelector("main") || document.body;
      main.insertBefore(el, main.firstChild);
    }
    el.textContent = text.slice(0, 300);
  }
})();
