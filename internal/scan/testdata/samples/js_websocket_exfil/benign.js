// support-chat.js: live chat widget on every page.
(function () {
  var box = document.getElementById("chat-box");
  var input = document.getElementById("chat-input");
  var socket = new WebSocket("wss://" + location.host + "/support/chat");
  socket.addEventListener("message", function (ev) {
    var msg = JSON.parse(ev.data);
    var p = document.createElement("p");
    p.textContent = msg.from + ": " + msg.text;
    box.appendChild(p);
  });
  document.getElementById("chat-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!input.value.trim()) return;
    socket.send(JSON.stringify({ text: input.value, page: location.pathname }));
    input.value = "";
  });
})();
