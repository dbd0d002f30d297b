/*! yutori form validation v1.1.0 */
(function ($) {
  'use strict';

  var rules = {
    email: function (v) { return /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v); },
    phone: function (v) { return /^[0-9+\-() ]{10,16}$/.test(v); },
    password: function (v) { return v.length >= 8; },
    name: function (v) { return v.trim().length > 0; }
  };

  $(function () {
    $('form[data-validate]').on('submit', function (e) {
      var ok = true;
      $('[data-rule]', this).each(function () {
        var rule = rules[this.getAttribute('data-rule')];
        var bad = rule && !rule(this.value);
        this.classList.toggle('invalid', !!bad);
        if (bad) {
          ok = false;
        }
      });
      if (!ok) {
        e.preventDefault();
        $('.form-error', this).toggle(true);
      }
    });
  });
})(window.minq);
