// stock-updates.js: live stock levels on the product page over a WebSocket.
// The messages are data (JSON), never code.
(function () {
  var el = document.querySelector("[data-stock]");
  if (!el) return;
  var ws = new WebSocket("wss://" + location.host + "/stock");
  ws.onmessage = function (ev) {
    var msg = JSON.parse(ev.data);
    el.textContent = msg.qty > 0 ? msg.qty + " in stock" : "Sold out";
  };
})();
