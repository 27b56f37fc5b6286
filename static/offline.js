// Registers the service worker (static/sw.js) and shows the user whether the app works
// offline, whether the network is gone, and when a new version is ready. Loaded from a file,
// not inline, so the Content-Security-Policy needs no 'unsafe-inline'.
(function () {
  "use strict";
  var badge = document.getElementById("net-status");
  var state = { offlineReady: false, updateReady: false };

  function render() {
    if (!badge) return;
    var online = navigator.onLine;
    badge.hidden = false;
    badge.dataset.online = String(online);
    badge.dataset.offlineReady = String(state.offlineReady);
    badge.textContent = "";
    if (state.updateReady) {
      badge.dataset.state = "update";
      badge.append("A new version is ready. ");
      var button = document.createElement("button");
      button.type = "button";
      button.id = "sw-reload";
      button.textContent = "Reload";
      button.addEventListener("click", function () {
        window.location.reload();
      });
      badge.append(button);
    } else if (!online) {
      badge.dataset.state = "offline";
      badge.textContent = state.offlineReady
        ? "Offline: everything still works on this device."
        : "Offline: this page was not saved for offline use yet.";
    } else if (state.offlineReady) {
      badge.dataset.state = "ready";
      badge.textContent = "Works offline";
    } else {
      badge.dataset.state = "online";
      badge.hidden = true;
    }
  }

  window.addEventListener("online", render);
  window.addEventListener("offline", render);
  render();

  if (!("serviceWorker" in navigator)) return;
  // A page that was already controlled when it loaded gets a new worker only on a new
  // deploy: that is when to offer the reload.
  var hadController = !!navigator.serviceWorker.controller;
  navigator.serviceWorker.addEventListener("controllerchange", function () {
    if (hadController) {
      state.updateReady = true;
      render();
    }
    hadController = true;
  });
  navigator.serviceWorker
    .register("./sw.js")
    .then(function () {
      return navigator.serviceWorker.ready;
    })
    .then(function () {
      state.offlineReady = true;
      render();
    })
    .catch(function (err) {
      // No worker (e.g. a plain-http host): the app still runs online.
      console.warn("MathSketch: offline support unavailable:", err);
    });
})();
