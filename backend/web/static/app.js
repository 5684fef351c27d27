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
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-sse]").forEach(live);
    scrollLog();
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    var form = e.detail.elt.closest ? e.detail.elt.closest("form[data-reset]") : null;
    if (form && e.detail.successful) { form.reset(); }
  });
  document.addEventListener("htmx:afterSwap", function () { scrollLog(); });
})();
