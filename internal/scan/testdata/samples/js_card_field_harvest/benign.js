/* checkout-validation.js: client-side checks before the form posts to the
 * payment provider. Reads the card fields but never sends them anywhere. */
(function () {
  "use strict";
  function luhn(num) {
    var sum = 0, alt = false;
    for (var i = num.length - 1; i >= 0; i--) {
      var n = parseInt(num.charAt(i), 10);
      if (alt) { n *= 2; if (n > 9) n -= 9; }
      sum += n; alt = !alt;
    }
    return sum % 10 === 0;
  }
  function state(el, ok) {
    el.classList.toggle("is-invalid", !ok);
    el.setAttribute("aria-invalid", ok ? "false" : "true");
  }
  var number = document.querySelector("#cc-number");
  var expiry = document.querySelector("#cc-exp-date");
  var cvc = document.getElementById("cc-cvc");
  number.addEventListener("input", function () {
    var digits = number.value.replace(/\D/g, "");
    state(number, digits.length >= 12 && luhn(digits));
  });
  expiry.addEventListener("blur", function () {
    state(expiry, /^(0[1-9]|1[0-2])\/\d{2}$/.test(expiry.value));
  });
  cvc.addEventListener("blur", function () {
    state(cvc, /^\d{3,4}$/.test(cvc.value));
  });
  // Remember only which step the customer reached, never the card.
  sessionStorage.setItem("checkout-step", JSON.stringify({ step: "payment" }));
})();
