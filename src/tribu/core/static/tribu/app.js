// Tribu shell behaviour. No inline scripts (strict CSP): everything lives here.
(function () {
  "use strict";

  // Register the service worker (PWA: offline page, installable).
  if ("serviceWorker" in navigator && document.body.dataset.sw) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register(document.body.dataset.sw, { scope: "/" }).catch(function () {});
    });
  }

  // Close the account menu with Escape or a click elsewhere.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      document.querySelectorAll("details.menu[open]").forEach(function (d) {
        d.removeAttribute("open");
        d.querySelector("summary").focus();
      });
    }
  });
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (d) {
      if (!d.contains(event.target)) d.removeAttribute("open");
    });
  });

  // HTMX sends the CSRF token with every request it makes.
  document.addEventListener("htmx:configRequest", function (event) {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (match) event.detail.headers["X-CSRFToken"] = decodeURIComponent(match[1]);
  });

  // A wide table scrolls sideways inside its box on a phone: let keyboard users reach and scroll it
  // (focusable, named after the table's caption or heading) when it overflows.
  function focusableScrollers() {
    document.querySelectorAll(".table-wrap").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        if (!box.hasAttribute("tabindex")) box.setAttribute("tabindex", "0");
        if (!box.hasAttribute("role")) box.setAttribute("role", "region");
        if (!box.hasAttribute("aria-label") && !box.hasAttribute("aria-labelledby")) {
          var caption = box.querySelector("caption");
          var heading = caption || document.querySelector("main h1");
          if (heading) box.setAttribute("aria-label", heading.textContent.trim());
        }
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", focusableScrollers);
  else focusableScrollers();
  window.addEventListener("resize", focusableScrollers);
  document.addEventListener("htmx:afterSettle", focusableScrollers);
})();
