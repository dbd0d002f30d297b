// Synthetic obfuscated skimmer trigger for skimwatch tests: the checkout
// words are base64 so that a search for "checkout" finds nothing.
(function () {
  var w = ["b25lcGFnZQ==", "Y2hlY2tvdXQ="];
  var hit = w.some(function (x) { return location.href.indexOf(atob(x)) > -1; });
  if (hit) { console.log("skimwatch test sample"); }
})();
