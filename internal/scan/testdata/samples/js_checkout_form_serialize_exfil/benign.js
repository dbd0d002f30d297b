// Magento's own checkout step: the payment form is serialised and posted to
// the shop's own endpoint; nothing is encoded to hide it.
define(['jquery', 'mage/url'], function ($, url) {
  return function placeOrder() {
    return $.ajax({
      url: url.build('checkout/onepage/saveOrder'),
      type: 'POST',
      data: $('#co-payment-form').serialize() + '&form_key=' + encodeURIComponent($.mage.cookies.get('form_key'))
    });
  };
});
