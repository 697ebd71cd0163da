/* The composer (feed/compose.html): show the fields of the chosen kind of post, and the date field
   only when scheduling. No inline script (CSP); the form works without it, every field shown. */
(function () {
  "use strict";

  function setUp(form) {
    var kind = form.querySelector("select[name=kind]");
    var fields = form.querySelectorAll("[data-kinds]");
    var when = form.querySelectorAll("input[name=action]");
    var time = form.querySelector(".feed-when-time");

    function showKind() {
      var value = kind ? kind.value : "";
      fields.forEach(function (field) {
        var kinds = (field.getAttribute("data-kinds") || "").split(" ");
        field.hidden = kinds.indexOf(value) === -1 && !field.querySelector(".errors");
      });
    }

    function showTime() {
      if (!time) return;
      var chosen = form.querySelector("input[name=action]:checked");
      time.hidden = !(chosen && chosen.value === "schedule") && !time.querySelector(".errors");
    }

    if (kind) kind.addEventListener("change", showKind);
    when.forEach(function (radio) { radio.addEventListener("change", showTime); });
    showKind();
    showTime();
  }

  function init() { document.querySelectorAll("[data-compose]").forEach(setUp); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
