/**
 * Checkout integration with a payment provider's hosted fields. The card
 * number, expiry and security code live in the provider's iframes; this file
 * only mounts them and posts the resulting one-time token to our own server.
 */
(function () {
  "use strict";
  var form = document.getElementById("payment-form");
  var status = document.getElementById("payment-status");
  var fields = window.PaymentProvider.hostedFields({
    key: form.dataset.publishableKey,
    fields: {
      number: { selector: "#card-number-frame", placeholder: "Card number" },
      expiry: { selector: "#card-expiry-frame", placeholder: "MM / YY" },
      cvc: { selector: "#card-cvc-frame", placeholder: "CVC" }
    }
  });
  fields.on("validityChange", function (ev) {
    document.getElementById("pay-button").disabled = !ev.complete;
  });
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    status.textContent = "Processing…";
    fields.tokenize().then(function (result) {
      return fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": form.dataset.csrf },
        body: JSON.stringify({ token: result.token, orderId: form.dataset.orderId })
      });
    }).then(function (res) {
      if (!res.ok) throw new Error("payment failed");
      window.location.assign(form.dataset.successUrl);
    }).catch(function () {
      status.textContent = "Your payment could not be completed. Please try again.";
    });
  });
})();
