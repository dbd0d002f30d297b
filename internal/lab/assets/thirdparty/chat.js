/*! Lab Chat widget v5 */
(function (window, document) {
  'use strict';
  if (document.getElementById('lab-chat')) {
    return;
  }
  var box = document.createElement('div');
  box.id = 'lab-chat';
  box.style.cssText = 'position:fixed;right:16px;bottom:16px;z-index:1000;font:14px sans-serif';
  box.innerHTML = '<button type="button" id="lab-chat-open" style="border-radius:20px;padding:8px 14px">' +
    'チャットで質問 / Chat</button>' +
    '<div id="lab-chat-panel" hidden style="background:#fff;border:1px solid #ccc;width:240px;padding:8px;margin-top:6px">' +
    '<p id="lab-chat-greeting">こんにちは！ / Hello!</p></div>';
  document.body.appendChild(box);
  var panel = box.querySelector('#lab-chat-panel');
  function open() {
    panel.hidden = false;
    fetch('{{THIRD_PARTY}}/chat/greeting?session=' + Math.random().toString(36).slice(2))
      .then(function (r) { return r.json(); })
      .then(function (g) { box.querySelector('#lab-chat-greeting').textContent = g.text; })
      .catch(function () {});
  }
  box.querySelector('#lab-chat-open').addEventListener('click', open);
  fetch('{{THIRD_PARTY}}/chat/config')
    .then(function (r) { return r.json(); })
    .then(function (c) { if (c.autoOpen) { open(); } })
    .catch(function () {});
})(window, document);
