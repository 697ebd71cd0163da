// Custom field form: the choices box only matters for the choice types; hide it for the others.
(function () {
  "use strict";
  var kind = document.getElementById("id_kind");
  var box = document.getElementById("field-choices");
  if (!kind || !box) { return; }
  function sync() {
    var choice = kind.value === "single_choice" || kind.value === "multiple_choice";
    box.classList.toggle("hidden", !choice);
  }
  kind.addEventListener("change", sync);
  sync();
})();
