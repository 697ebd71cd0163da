// Live notification badge. Connects to /ws/notifications/ and updates every [data-unread-count]
// element; reconnects with back-off; while the socket is down, polls the badge fragment every 30 s.
// No inline script (strict CSP): the badge URL comes from this script tag's data-badge-url.
(function () {
  "use strict";

  var script = document.currentScript;
  var badgeUrl = (script && script.dataset.badgeUrl) || "/notifications/badge/";
  var socketPath = (script && script.dataset.wsPath) || "/ws/notifications/";
  var POLL_MS = 30000;
  var MAX_BACKOFF_MS = 60000;
  var CLOSE_UNAUTHENTICATED = 4401;

  var socket = null;
  var attempts = 0;
  var pollTimer = null;
  var reconnectTimer = null;
  var stopped = false;

  function setCount(count) {
    var n = parseInt(count, 10);
    if (isNaN(n) || n < 0) return;
    document.querySelectorAll("[data-unread-count]").forEach(function (el) {
      el.textContent = String(n);
      el.classList.toggle("hidden", n === 0);
    });
  }

  function poll() {
    fetch(badgeUrl, { credentials: "same-origin", headers: { "HX-Request": "true" }, redirect: "error" })
      .then(function (response) {
        if (!response.ok) throw new Error("badge " + response.status);
        return response.text();
      })
      .then(function (html) {
        var holder = document.createElement("template");
        holder.innerHTML = html.trim();
        var fresh = holder.content.querySelector("[data-unread-count]");
        if (fresh) setCount(fresh.textContent);
      })
      .catch(function () {
        // Signed out or offline: try again at the next tick.
      });
  }

  function startPolling() {
    if (pollTimer === null) pollTimer = window.setInterval(poll, POLL_MS);
  }

  function stopPolling() {
    if (pollTimer !== null) {
      window.clearInterval(pollTimer);
      pollTimer = null;
    }
  }

  function scheduleReconnect() {
    if (stopped || reconnectTimer !== null) return;
    attempts += 1;
    var delay = Math.min(MAX_BACKOFF_MS, 1000 * Math.pow(2, attempts - 1));
    delay = delay / 2 + Math.random() * (delay / 2); // jitter, so servers restarting are not stormed
    reconnectTimer = window.setTimeout(function () {
      reconnectTimer = null;
      connect();
    }, delay);
  }

  function connect() {
    if (stopped) return;
    if (!("WebSocket" in window)) {
      startPolling();
      return;
    }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    try {
      socket = new WebSocket(scheme + window.location.host + socketPath);
    } catch (error) {
      startPolling();
      scheduleReconnect();
      return;
    }
    socket.addEventListener("open", function () {
      attempts = 0;
      stopPolling();
    });
    socket.addEventListener("message", function (event) {
      var data;
      try {
        data = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (data && data.type === "unread") setCount(data.count);
    });
    socket.addEventListener("close", function (event) {
      socket = null;
      startPolling();
      if (event.code === CLOSE_UNAUTHENTICATED) {
        stopped = true; // signed out: polling alone will do
        return;
      }
      scheduleReconnect();
    });
  }

  function start() {
    if (!document.querySelector("[data-unread-count]")) return;
    connect();
    // Back from a sleeping laptop or a background tab: refresh at once.
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState !== "visible") return;
      if (socket === null) poll();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
