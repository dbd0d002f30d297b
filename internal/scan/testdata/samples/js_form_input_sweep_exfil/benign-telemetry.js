// typing-telemetry.js: a fraud-prevention script that times keystrokes in
// capture-phase listeners and sends the timings; it never reads a value.
(function () {
  var fields = {}, inputs = document.querySelectorAll("input");
  document.addEventListener("keyup", function (e) {
    var id = (e.target && (e.target.id || e.target.name)) || "other";
    (fields[id] = fields[id] || []).push(Math.round(performance.now()));
  }, true);
  document.addEventListener("submit", function () {
    navigator.sendBeacon("/fraud/telemetry", JSON.stringify({ n: inputs.length, t: fields }));
  }, true);
  // Elsewhere: the search box's value, outside any listener.
  var q = document.getElementById("search");
  if (q) q.value = new URLSearchParams(location.search).get("q") || "";
})();
