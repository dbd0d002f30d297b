/**
 * direct-post.js: renders the card fields of a direct-post gateway. The form
 * posts straight to the gateway's own URL with a normal submission; this
 * script only draws the fields and checks that they are filled in.
 */
(function () {
  "use strict";
  var form = document.getElementById("gateway-form");
  if (!form) return;
  form.action = form.dataset.gatewayUrl;
  form.querySelector(".card-fields").innerHTML =
    '<label>Card number <input name="x_card_num" autocomplete="cc-number" inputmode="numeric" required></label>' +
    '<label>Expiry <input name="x_exp_date" autocomplete="cc-exp" placeholder="MM/YY" required></label>' +
    '<label>Security code <input name="x_card_code" autocomplete="cc-csc" inputmode="numeric" required></label>';
  form.addEventListener("submit", function (e) {
    if (!form.checkValidity()) {
      e.preventDefault();
      form.reportValidity();
    }
  });
})();
