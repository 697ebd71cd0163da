/* Markdown editor (media/_markdown_editor.html): toolbar, shortcuts, live preview, @mention suggestions.
   No inline code anywhere (CSP); every editor on the page is set up once, even if this file loads twice. */
(function () {
  "use strict";

  function csrfToken(root) {
    var form = root.closest("form");
    var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function replaceSelection(textarea, text, selectFrom, selectTo) {
    var start = textarea.selectionStart;
    textarea.focus();
    // execCommand keeps the browser's undo history; setRangeText is the fallback.
    var done = false;
    try { done = document.execCommand("insertText", false, text); } catch (e) { done = false; }
    if (!done || textarea.value.substr(start, text.length) !== text) {
      textarea.setRangeText(text, start, textarea.selectionEnd, "end");
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    }
    if (selectFrom !== undefined) textarea.setSelectionRange(start + selectFrom, start + selectTo);
  }

  function wrap(textarea, before, after, placeholder) {
    var selected = textarea.value.slice(textarea.selectionStart, textarea.selectionEnd);
    var inner = selected || placeholder;
    replaceSelection(textarea, before + inner + after, before.length, before.length + inner.length);
  }

  function prefixLines(textarea, prefix) {
    var value = textarea.value;
    var start = value.lastIndexOf("\n", textarea.selectionStart - 1) + 1;
    var end = value.indexOf("\n", textarea.selectionEnd);
    if (end === -1) end = value.length;
    textarea.setSelectionRange(start, end);
    var lines = value.slice(start, end).split("\n").map(function (line) { return prefix + line; });
    var text = lines.join("\n");
    replaceSelection(textarea, text, text.length, text.length);
  }

  var ACTIONS = {
    bold: function (t) { wrap(t, "**", "**", "…"); },
    italic: function (t) { wrap(t, "*", "*", "…"); },
    heading: function (t) { prefixLines(t, "## "); },
    quote: function (t) { prefixLines(t, "> "); },
    list: function (t) { prefixLines(t, "- "); },
    code: function (t) {
      var selected = t.value.slice(t.selectionStart, t.selectionEnd);
      if (selected.indexOf("\n") !== -1) wrap(t, "```\n", "\n```", "");
      else wrap(t, "`", "`", "code");
    },
    link: function (t, root) {
      var selected = t.value.slice(t.selectionStart, t.selectionEnd);
      if (/^https?:\/\/\S+$/.test(selected)) {
        var label = root.dataset.labelLink || "link";
        replaceSelection(t, "[" + label + "](" + selected + ")", 1, 1 + label.length);
      } else {
        var text = "[" + (selected || root.dataset.labelLink || "link") + "](https://)";
        var url = text.length - 9;
        replaceSelection(t, text, url, url + 8);
      }
    }
  };
  var SHORTCUTS = { b: "bold", i: "italic", k: "link", e: "code" };

  function setUp(root) {
    if (root.dataset.mdReady) return;
    root.dataset.mdReady = "1";
    var textarea = root.querySelector("textarea");
    if (!textarea) return;
    var previewBox = root.querySelector("[data-md-preview]");
    var toggle = root.querySelector("[data-md-preview-toggle]");
    var status = root.querySelector("[data-md-status]");
    var timer = null;
    var lastSent = null;
    var previewing = false;

    root.querySelectorAll("[data-md-action]").forEach(function (button) {
      button.addEventListener("click", function () {
        ACTIONS[button.dataset.mdAction](textarea, root);
      });
    });

    textarea.addEventListener("keydown", function (event) {
      if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
      var action = SHORTCUTS[event.key.toLowerCase()];
      if (!action) return;
      event.preventDefault();
      ACTIONS[action](textarea, root);
    });

    function renderPreview() {
      var text = textarea.value;
      if (text === lastSent) return;
      lastSent = text;
      if (!text.trim()) {
        previewBox.textContent = root.dataset.labelEmpty || "";
        return;
      }
      if (!previewBox.textContent.trim()) previewBox.textContent = root.dataset.labelLoading || "";
      previewBox.setAttribute("aria-busy", "true");
      var body = new FormData();
      body.append("text", text);
      fetch(root.dataset.previewUrl, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(root), "X-Requested-With": "fetch" }
      }).then(function (response) {
        return response.text().then(function (html) { return { ok: response.ok || response.status === 413, html: html }; });
      }).then(function (result) {
        if (textarea.value !== text) return;  // a newer one is on its way
        if (result.ok) previewBox.innerHTML = result.html;  // sanitised on the server (render_rich)
        else previewBox.textContent = root.dataset.labelFailed || "";
      }).catch(function () {
        previewBox.textContent = root.dataset.labelFailed || "";
        lastSent = null;
      }).finally(function () { previewBox.removeAttribute("aria-busy"); });
    }

    if (toggle) {
      toggle.addEventListener("click", function () {
        previewing = !previewing;
        toggle.setAttribute("aria-pressed", previewing ? "true" : "false");
        root.classList.toggle("is-previewing", previewing);
        previewBox.hidden = !previewing;
        if (previewing) { lastSent = null; renderPreview(); }
        else textarea.focus();
      });
    }
    textarea.addEventListener("input", function () {
      if (!previewing) return;
      clearTimeout(timer);
      timer = setTimeout(renderPreview, 350);
    });

    var mentionUrl = textarea.dataset.mentionUrl || root.dataset.mentionUrl;
    if (mentionUrl) setUpMentions(root, textarea, mentionUrl, status);
  }

  function setUpMentions(root, textarea, mentionUrl, status) {
    var list = root.querySelector("[data-md-suggestions]");
    var items = [];
    var active = -1;
    var query = null;
    var controller = null;
    var timer = null;
    textarea.setAttribute("role", "combobox");
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-controls", list.id);
    textarea.setAttribute("aria-expanded", "false");

    function close() {
      list.hidden = true;
      list.textContent = "";
      items = [];
      active = -1;
      query = null;
      textarea.setAttribute("aria-expanded", "false");
      textarea.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      var options = list.querySelectorAll("[role=option]");
      if (!options.length) return;
      active = (index + options.length) % options.length;
      options.forEach(function (option, i) { option.setAttribute("aria-selected", i === active ? "true" : "false"); });
      textarea.setAttribute("aria-activedescendant", options[active].id);
      options[active].scrollIntoView({ block: "nearest" });
    }

    function choose(index) {
      var item = items[index];
      if (!item || !query) return;
      var end = textarea.selectionStart;
      textarea.setSelectionRange(query.start, end);
      var token = String(item.token || "") + " ";
      close();
      replaceSelection(textarea, token, token.length, token.length);
    }

    function show(results) {
      list.textContent = "";
      items = results.slice(0, 8);
      if (!items.length) { close(); return; }
      items.forEach(function (item, i) {
        var option = document.createElement("li");
        option.id = list.id + "_" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        if (item.avatar && /^(\/|https?:)/.test(item.avatar)) {
          var img = document.createElement("img");
          img.src = item.avatar;
          img.alt = "";
          option.appendChild(img);
        }
        var name = document.createElement("span");
        name.textContent = item.name;  // text, never HTML
        option.appendChild(name);
        option.addEventListener("mousedown", function (event) { event.preventDefault(); choose(i); });
        list.appendChild(option);
      });
      list.hidden = false;
      textarea.setAttribute("aria-expanded", "true");
      highlight(0);
      if (status) status.textContent = root.dataset.labelSuggestions || "";
    }

    function lookUp() {
      var before = textarea.value.slice(0, textarea.selectionStart);
      var match = before.match(/(^|[\s(])@([^\s@()\[\]]{1,40})$/u);
      if (!match) { close(); return; }
      query = { text: match[2], start: textarea.selectionStart - match[2].length - 1 };
      if (controller) controller.abort();
      controller = new AbortController();
      var url = new URL(mentionUrl, window.location.href);
      url.searchParams.set("q", match[2]);
      // The place can change while writing (the composer's "Where" picker): ask for members of the
      // place chosen now, not of the one the page opened with.
      var scope = root.dataset.mentionScopeField && textarea.form
        ? textarea.form.elements.namedItem(root.dataset.mentionScopeField) : null;
      if (scope) {
        if (scope.value) url.searchParams.set("group", scope.value);
        else url.searchParams.delete("group");
      }
      fetch(url, { credentials: "same-origin", signal: controller.signal, headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (data) { if (query) show(Array.isArray(data) ? data : (data.results || [])); })
        .catch(function () { /* aborted by a newer query, or offline: no suggestions */ });
    }

    textarea.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(lookUp, 150);
    });
    textarea.addEventListener("keydown", function (event) {
      if (list.hidden) return;
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
      else if (event.key === "Enter" || event.key === "Tab") { event.preventDefault(); choose(active); }
      else if (event.key === "Escape") { event.preventDefault(); close(); }
    });
    textarea.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  function setUpAll() { document.querySelectorAll("[data-md-editor]").forEach(setUp); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUpAll);
  else setUpAll();
  document.addEventListener("htmx:afterSettle", setUpAll);
})();
