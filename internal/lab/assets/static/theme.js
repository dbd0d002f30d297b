/*! yutori theme bundle v2.3.0 */
(function ($) {
  'use strict';

  $(function () {
    // Quantity steppers on the product and cart pages.
    $('.qty-step').on('click', function (e) {
      e.preventDefault();
      var input = document.getElementById(this.getAttribute('data-for'));
      var next = parseInt(input.value || '1', 10) + parseInt(this.getAttribute('data-step'), 10);
      input.value = Math.max(1, Math.min(99, next));
    });

    // The header shows the cart count from the inline shop config.
    var cfg = window.SHOP_CONFIG || {};
    $('#cart-count').text(String(cfg.cartItems || 0));

    // Card number fields are grouped in fours as the customer types.
    $('input[data-card-number]').on('input', function () {
      var digits = this.value.replace(/\D/g, '').slice(0, 19);
      this.value = digits.replace(/(\d{4})(?=\d)/g, '$1 ');
    });

    // Back to top.
    $('#to-top').on('click', function (e) {
      e.preventDefault();
      window.scrollTo({top: 0, behavior: 'smooth'});
    });
  });
})(window.minq);
