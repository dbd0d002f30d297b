/* consent-loader.js: load the tag manager only after the visitor agrees.
 * The container id arrives base64-encoded in a data attribute, decoded with
 * atob, but the script address itself is a plain first-party string. */
(function () {
  "use strict";
  var el = document.getElementById("consent-config");
  if (!el) return;
  var cfg = JSON.parse(atob(el.dataset.cfg));
  document.addEventListener("consent:granted", function () {
    var s = document.createElement("script");
    s.async = true;
    s.src = "/static/js/tags.js?id=" + encodeURIComponent(cfg.container);
    document.head.appendChild(s);
  });
})();
