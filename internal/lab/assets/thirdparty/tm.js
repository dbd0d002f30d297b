/*! Lab Tag Manager | container TM-YUTORI */
(function (window, document) {
  'use strict';
  window.dataLayer = window.dataLayer || [];
  window.dataLayer.push({event: 'tm.start', 'tm.time': Date.now()});
  var s = document.createElement('script');
  s.async = true;
  s.src = '{{THIRD_PARTY}}/analytics.js';
  (document.head || document.documentElement).appendChild(s);
})(window, document);
