/*! Yutori Store tag container (first party): loads the shop's vendors. */
(function (window, document) {
  'use strict';
  var cfg = window.benignConfig || {};
  var dataLayer = window.dataLayer = window.dataLayer || [];

  // Every vendor tag gets a cache-busting query, as tag managers do, so a
  // vendor's fix reaches customers at once.
  function load(src) {
    var s = document.createElement('script');
    s.async = true;
    s.src = src + (src.indexOf('?') < 0 ? '?' : '&') + 'cb=' + Date.now().toString(36);
    (document.head || document.documentElement).appendChild(s);
  }

  var cid = null;
  try { cid = window.localStorage.getItem('_la_cid'); } catch (e) {}
  // Analytics: the vendor's own script counts the page view.
  load(cfg.analytics + '/analytics.js');
  // Fraud prevention: keystroke timing and a device fingerprint.
  load(cfg.fraud + '/fp.js?merchant=yutori');

  // Checkout events go to analytics as an image pixel, with the order's
  // total and step only: never what the customer typed.
  function event(action) {
    dataLayer.push({ event: action });
    var q = 'v=2&t=event&ec=checkout&ea=' + encodeURIComponent(action) +
      '&ev=' + (cfg.total || 0) + '&cid=' + encodeURIComponent(cid || 'anon') +
      '&z=' + Math.floor(Math.random() * 1e9);
    new Image().src = cfg.analytics + '/collect?' + q;
  }
  document.addEventListener('submit', function () { event('place_order'); }, true);
})(window, document);
