// Check-in by camera: reads the QR code of a confirmation with the browser's BarcodeDetector and
// posts its code through the same form as the manual entry. Without BarcodeDetector (or a camera),
// the page keeps the typed code form only.
(function () {
  "use strict";
  var form = document.querySelector("[data-code-form]");
  var section = document.querySelector("[data-camera]");
  var start = document.querySelector("[data-camera-start]");
  var unsupported = document.querySelector("[data-camera-unsupported]");
  if (!form || !section) return;
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    if (unsupported) unsupported.hidden = false;
    return;
  }
  var video = section.querySelector("[data-video]");
  var input = form.querySelector("input[name=code]");
  var detector;
  try { detector = new window.BarcodeDetector({ formats: ["qr_code"] }); } catch (e) {
    if (unsupported) unsupported.hidden = false;
    return;
  }
  var sent = false;
  function scan() {
    if (sent) return;
    detector.detect(video).then(function (codes) {
      if (codes.length && codes[0].rawValue) {
        sent = true;
        input.value = codes[0].rawValue;
        form.submit();
        return;
      }
      window.requestAnimationFrame(scan);
    }).catch(function () { window.setTimeout(scan, 300); });
  }
  function open() {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (stream) {
      section.hidden = false;
      start.hidden = true;
      video.srcObject = stream;
      video.play();
      scan();
    }).catch(function () {
      if (unsupported) unsupported.hidden = false;
      start.hidden = true;
    });
  }
  start.hidden = false;
  start.addEventListener("click", function () {
    try { window.sessionStorage.setItem("events-camera", "on"); } catch (e) { /* private mode */ }
    open();
  });
  // After a scan the page reloads with the result: scanning goes on for the next person in the queue.
  var on = false;
  try { on = window.sessionStorage.getItem("events-camera") === "on"; } catch (e) { on = false; }
  if (on) open();
})();
