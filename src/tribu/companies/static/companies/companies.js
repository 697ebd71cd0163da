// Companies directory: a ticked facet or a new sort order applies at once (the "Apply filters"
// button stays for keyboard and no-JavaScript use); the filters panel starts open on wide screens.
(function () {
  "use strict";
  var form = document.querySelector("[data-companies-form]");
  if (!form) return;
  form.addEventListener("change", function (event) {
    if (event.target && event.target.hasAttribute("data-autosubmit")) form.requestSubmit();
  });
  var panel = form.querySelector("[data-filters]");
  if (panel && window.matchMedia("(min-width: 900px)").matches) panel.open = true;
})();
