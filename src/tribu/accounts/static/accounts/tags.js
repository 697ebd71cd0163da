// Skill and interest inputs: suggest existing tags for the word being typed (after the last comma),
// through the <datalist> tied to each input. The suggestions come from profile:tag_suggestions.
(function () {
  "use strict";
  var form = document.querySelector("[data-tag-url]");
  if (!form) { return; }
  var url = form.getAttribute("data-tag-url");
  form.querySelectorAll("input[data-tag-input]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var kind = input.getAttribute("data-tag-input");
    var timer = null;
    var last = null;
    if (!list) { return; }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var parts = input.value.split(",");
        var word = parts.pop().trim();
        var before = parts.map(function (p) { return p.trim(); }).filter(Boolean);
        if (word.length < 1 || word === last) { return; }
        last = word;
        fetch(url + "?kind=" + encodeURIComponent(kind) + "&q=" + encodeURIComponent(word), {
          headers: { "Accept": "application/json" }, credentials: "same-origin"
        }).then(function (r) { return r.ok ? r.json() : { suggestions: [] }; }).then(function (data) {
          list.textContent = "";
          (data.suggestions || []).forEach(function (name) {
            if (before.indexOf(name) !== -1) { return; }
            var option = document.createElement("option");
            option.value = before.concat([name]).join(", ");
            list.appendChild(option);
          });
        }).catch(function () { /* suggestions are a convenience: typing still works */ });
      }, 200);
    });
  });
})();
