/*! Yutori Store checkout (first party): wires the libraries to the form. */
(function (window, document, $) {
  'use strict';
  var cfg = window.benignConfig || {};
  var form = document.getElementById('token-form');
  if (!form) {
    return;
  }

  // Order summary (Vue): the shipping choice changes the total live.
  window.Vue.createApp({
    data: function () { return { lines: cfg.lines || [], shipping: 'standard' }; },
    computed: {
      total: function () {
        var sum = 0;
        this.lines.forEach(function (l) { sum += l.unit * l.qty; });
        return sum + (this.shipping === 'express' ? 500 : 0);
      }
    },
    methods: { yen: function (n) { return '¥' + n.toLocaleString('ja-JP'); } }
  }).mount('#order-summary');

  // Live card preview (Vue): brand and last four digits as the customer types.
  var preview = window.Vue.reactive({ brand: 'unknown', digits: '', expiry: '' });
  window.Vue.createApp({
    setup: function () { return preview; },
    computed: {
      brandName: function () { return preview.brand === 'unknown' ? 'CARD' : preview.brand.toUpperCase(); },
      masked: function () {
        var d = preview.digits;
        return d.length < 4 ? '•••• •••• •••• ••••' : '•••• •••• •••• ' + d.slice(-4);
      }
    }
  }).mount('#card-preview');

  // Input masks: Cleave for the card (and its brand detector), IMask for
  // the phone number and the postcode.
  new window.Cleave('#card-number', {
    creditCard: true,
    onCreditCardTypeChanged: function (type) { preview.brand = type; }
  });
  new window.Cleave('#card-exp', { date: true, datePattern: ['m', 'y'] });
  new window.Cleave('#card-cvc', { blocks: [4], numericOnly: true });
  $('#card-number').on('input', function () { preview.digits = this.value.replace(/\D/g, ''); });
  $('#card-exp').on('input', function () { preview.expiry = this.value; });
  window.IMask(document.getElementById('phone'), { mask: '000-0000-0000' });
  var postcode = window.IMask(document.getElementById('postcode'), { mask: '000-0000' });

  // Address lookup (yubinbango-core2): one data file per three-digit prefix,
  // from the lookup's own origin, fetched once the postcode is complete.
  // Postcodes too new for the tables are asked of the lookup's search API
  // (zipcloud's layout), which receives the whole postcode.
  function fill(region, rest) {
    $('#region').val(region);
    $('#address').val(rest);
  }
  postcode.on('complete', function () {
    var code = postcode.unmaskedValue;
    var core = new window.YubinBango.Core();
    core.URL = cfg.postal + '/data';
    core.getAddr(code, function (addr) {
      if (addr.region) {
        fill(addr.region, addr.locality + addr.street);
        return;
      }
      $.getJSON(cfg.postal + '/api/search', { zipcode: code }, function (res) {
        var a = res && res.results && res.results[0];
        if (a) {
          fill(a.address1, a.address2 + a.address3);
        }
      });
    });
  });

  // Client-side encryption for the payment provider (jsencrypt): the card
  // leaves this page only as RSA ciphertext, which the shop forwards.
  form.addEventListener('submit', function () {
    var enc = new window.JSEncrypt();
    enc.setPublicKey(cfg.pspKey);
    var card = [$('#card-number').val(), $('#card-exp').val(), $('#card-cvc').val(), $('#card-name').val()].join('|');
    $('#encrypted-card').val(enc.encrypt(card) || '');
  });
})(window, document, window.jQuery);
