// octofleet ui: the live task log. Everything else works without script.
'use strict';
document.querySelectorAll('[data-events]').forEach(function (el) {
  var log = el.querySelector('.log');
  var state = el.querySelector('.state');
  var es = new EventSource(el.dataset.events);
  es.addEventListener('line', function (e) {
    var line = document.createElement('div');
    line.textContent = e.data;
    log.appendChild(line);
  });
  function show(s) { state.textContent = s; state.className = 'state ' + s.toLowerCase(); }
  es.addEventListener('state', function (e) { show(e.data); });
  es.addEventListener('end', function (e) { show(e.data); el.dataset.ended = 'true'; es.close(); });
});
