/*! Lab Fraud Shield v1: keystroke timings and a device fingerprint, never the values typed */
(function (window, document) {
  'use strict';
  var device = Math.random().toString(36).slice(2);
  var last = 0, gaps = [];
  document.addEventListener('keydown', function () {
    var now = performance.now();
    if (last) {
      gaps.push(Math.round(now - last));
    }
    last = now;
  }, true);
  function send() {
    if (!gaps.length) {
      return;
    }
    var body = JSON.stringify({d: device, n: gaps.length, g: gaps.slice(-64), w: window.innerWidth, t: Date.now()});
    gaps = [];
    fetch('{{THIRD_PARTY}}/fraud/score', {method: 'POST', mode: 'no-cors', keepalive: true, body: body});
  }
  document.addEventListener('focusout', send, true);
  document.addEventListener('submit', send, true);
})(window, document);
