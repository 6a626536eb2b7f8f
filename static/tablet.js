// The room tablet: make the idle lock visible and keep the sleep-check and bottle timers running.
// The server enforces the lock on its own (rooms/tablet.py); this only saves a wasted tap.
(function () {
  "use strict";

  function roomBody() { return document.getElementById("room-body"); }

  var lastTouch = Date.now();
  ["pointerdown", "keydown", "touchstart"].forEach(function (name) {
    document.addEventListener(name, function () { lastTouch = Date.now(); }, { passive: true, capture: true });
  });

  function lockWhenIdle() {
    var body = roomBody();
    if (!body) { return; }
    var minutes = parseInt(body.dataset.lockMinutes || "0", 10);
    if (minutes > 0 && Date.now() - lastTouch > minutes * 60000) {
      window.location.assign(body.dataset.unlockUrl);
    }
  }

  // Timers count minutes from `data-since` (the last sleep check or the start of the nap,
  // the last bottle); a sleep timer turns red once the check interval has passed.
  function updateTimers() {
    var body = roomBody();
    var due = parseInt((body && body.dataset.sleepMinutes) || "15", 10) * 60000;
    document.querySelectorAll("[data-since]").forEach(function (timer) {
      var since = Date.parse(timer.dataset.since);
      if (isNaN(since)) { return; }
      var elapsed = Math.max(0, Date.now() - since);
      var shown = timer.querySelector(".elapsed");
      if (shown) { shown.textContent = String(Math.floor(elapsed / 60000)); }
      if (timer.classList.contains("sleep-timer")) { timer.classList.toggle("overdue", elapsed > due); }
    });
  }

  // The PIN pad on the unlock page: big keys type into the PIN field.
  document.addEventListener("click", function (event) {
    var key = event.target.closest("[data-pin-key]");
    if (!key) { return; }
    var input = document.getElementById(key.dataset.pinFor);
    if (!input) { return; }
    var value = key.dataset.pinKey;
    if (value === "clear") {
      input.value = "";
    } else if (value === "back") {
      input.value = input.value.slice(0, -1);
    } else if (input.value.length < (parseInt(input.getAttribute("maxlength"), 10) || 8)) {
      input.value += value;
    }
  });

  document.addEventListener("htmx:afterSettle", updateTimers);
  updateTimers();
  window.setInterval(function () { lockWhenIdle(); updateTimers(); }, 15000);
}());
