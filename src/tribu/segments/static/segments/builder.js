// Segment builder: HTMX swaps the rules and the live count (see segments/_rules.html and edit.html).
// With JavaScript on, the "update" button meant for browsers without it is hidden, and pressing Enter
// in a value refreshes the count instead of submitting the form.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    var form = document.getElementById("segment-form");
    if (!form || !window.htmx) return;
    form.querySelectorAll("[data-nojs]").forEach(function (el) { el.hidden = true; });
    form.addEventListener("keydown", function (event) {
      var target = event.target;
      if (event.key !== "Enter" || !target.closest("#rules") || target.tagName === "BUTTON") return;
      event.preventDefault();
      target.dispatchEvent(new Event("change", { bubbles: true }));
    });
  });
})();
