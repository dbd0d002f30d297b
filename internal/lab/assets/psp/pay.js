/*! LabPay.js v3 | tokenisation for merchants */
(function (window, document) {
  'use strict';
  var API = '{{PSP_API}}';

  function createToken(card) {
    return fetch(API + '/v1/tokens', {
      method: 'POST',
      headers: {'Content-Type': 'application/json'},
      body: JSON.stringify(card)
    }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) {
          throw new Error(body.error || ('HTTP ' + r.status));
        }
        return body;
      });
    });
  }

  // mount takes over a merchant form: on submit the card fields (which have
  // no name, so they are never posted to the merchant) go to LabPay, and
  // only the token is submitted with the form.
  function mount(selector) {
    var form = document.querySelector(selector);
    if (!form) {
      return;
    }
    var busy = false;
    form.addEventListener('submit', function (e) {
      if (form.getAttribute('data-tokenised') === '1') {
        return;
      }
      e.preventDefault();
      if (busy) {
        return;
      }
      busy = true;
      var field = function (id) {
        var el = document.getElementById(id);
        return el ? el.value : '';
      };
      // Looked up on every submit, so wrappers of createToken take effect.
      window.LabPay.createToken({
        number: field('card-number').replace(/\s/g, ''),
        exp: field('card-exp'),
        cvc: field('card-cvc'),
        name: field('card-name')
      }).then(function (res) {
        form.querySelector('[name=payment_token]').value = res.token;
        form.setAttribute('data-tokenised', '1');
        form.submit();
      }).catch(function (err) {
        busy = false;
        var out = document.getElementById('pay-error');
        if (out) {
          out.textContent = 'カード情報を確認してください / Please check your card: ' + err.message;
          out.hidden = false;
        }
      });
    });
  }

  window.LabPay = {createToken: createToken, mount: mount, version: '3.0.0'};
})(window, document);
