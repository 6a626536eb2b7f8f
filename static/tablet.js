// The room tablet: the idle lock, and the sleep-check and bottle timers.
(function () {
  "use strict";

  function roomBody() { return document.getElementById("room-body"); }

  // The idle lock keeps the server's clock. Every request to the room's pages is an action there
  // (rooms/tablet.py), so the page counts from its own load and from each request it sends, and
  // locks a little before the server would: a tap on "Save" never reaches a tablet already locked.
  // Typing into a form is an action too: while someone types, the page tells the server at most
  // once a minute (…/awake), so a long note is not lost to the lock.
  var MARGIN = 10000;
  var AWAKE_EVERY = 60000;
  var lastRequest = Date.now();

  function lockMinutes(body) { return parseInt(body.dataset.lockMinutes || "0", 10); }

  function idle(body) {
    var minutes = lockMinutes(body);
    return minutes > 0 && Date.now() - lastRequest > minutes * 60000 - MARGIN;
  }

  function lock(body) { window.location.assign(body.dataset.unlockUrl + "?idle=1"); }

  function lockWhenIdle() {
    var body = roomBody();
    if (body && idle(body)) { lock(body); }
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var body = roomBody();
    if (body && idle(body)) {
      event.preventDefault();
      lock(body);
      return;
    }
    lastRequest = Date.now();
  });

  document.addEventListener("submit", function (event) {
    var body = roomBody();
    if (body && idle(body)) {
      event.preventDefault();
      lock(body);
      return;
    }
    lastRequest = Date.now();
  }, true);

  document.addEventListener("input", function () {
    var body = roomBody();
    if (!body || lockMinutes(body) === 0) { return; }
    if (idle(body)) { lock(body); return; }
    if (Date.now() - lastRequest < AWAKE_EVERY) { return; }
    lastRequest = Date.now();
    window.fetch(body.dataset.awakeUrl, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) {
        // Locked meanwhile on the server (another tab, a sleeping tablet): go to the PIN screen.
        if (response.headers.get("HX-Redirect")) { lock(body); }
      })
      .catch(function () { /* offline for a moment: the next request tells */ });
  }, true);

  // A tablet whose screen slept pauses the timers: check as soon as it is looked at again.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { lockWhenIdle(); }
  });

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
  window.setInterval(lockWhenIdle, 5000);
  window.setInterval(updateTimers, 15000);
}());
