// Live progress on a campaign page: polls the JSON endpoint and updates the numbers.
// Optional: without JavaScript the page has a refresh link. Same-origin file (CSP script-src 'self').
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-progress-url");
  function set(selector, value) {
    var node = box.querySelector(selector);
    if (node) { node.textContent = String(value); }
  }
  function update(data) {
    set('[data-field="status"]', data.status);
    set('[data-field="done"]', data.done);
    set('[data-field="total"]', data.total);
    Object.keys(data.counts).forEach(function (state) {
      set('[data-count="' + state + '"]', data.counts[state]);
    });
    var bar = document.getElementById("done-bar");
    if (bar) { bar.max = Math.max(1, data.total); bar.value = data.done; bar.textContent = data.done + " of " + data.total; }
    set('[data-field="updated"]', "(updated " + new Date().toLocaleTimeString() + ")");
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { update(data); } })
      .catch(function () {})
      .then(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 2000);
})();
