/*! Lab Analytics v2 */
(function (window, document) {
  'use strict';
  var key = '_la_cid';
  var cid = null;
  try {
    cid = window.localStorage.getItem(key);
  } catch (e) {}
  if (!cid) {
    cid = Math.random().toString(36).slice(2) + '.' + Date.now();
    try {
      window.localStorage.setItem(key, cid);
    } catch (e) {}
  }
  // Only the page's path is sent, never its query or any form value.
  var q = 'v=2&t=pageview&cid=' + encodeURIComponent(cid) +
    '&dp=' + encodeURIComponent(location.pathname) +
    '&dt=' + encodeURIComponent(document.title) +
    '&z=' + Math.floor(Math.random() * 1e9);
  new Image().src = '{{THIRD_PARTY}}/collect?' + q;
})(window, document);
