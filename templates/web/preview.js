// Staff preview: reload the page when an issue file, a template or the settings change.
// The page works without this script; it only saves pressing reload.
(function () {
  "use strict";
  var script = document.currentScript;
  var seen = script && script.dataset.version;
  if (!seen) { return; }
  function check() {
    fetch("/preview/version", { cache: "no-store", credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && data.version !== seen) { window.location.reload(); return; }
        window.setTimeout(check, 1000);
      })
      .catch(function () { window.setTimeout(check, 3000); });
  }
  window.setTimeout(check, 1000);
})();
