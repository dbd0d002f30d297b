/*! media-utils v2.3.1 | MIT */
(function (root, factory) {
  if (typeof define === "function" && define.amd) { define([], factory); }
  else if (typeof module === "object" && module.exports) { module.exports = factory(); }
  else { root.mediaUtils = factory(); }
}(this, function () {
  "use strict";
  // Turn a data: URI into a Blob so that it can be uploaded as a file.
  function dataURItoBlob(uri) {
    var parts = uri.split(","), mime = parts[0].split(":")[1].split(";")[0];
    var bin = atob(parts[1]);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Blob([bytes], { type: mime });
  }
  // Read the claims of a JSON Web Token (no verification: display only).
  function tokenClaims(token) {
    var payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload));
  }
  function bytesToString(bytes) {
    return String.fromCharCode.apply(null, bytes);
  }
  function isFunction(x) { return typeof x === "function"; }
  var noop = new Function();
  return { dataURItoBlob: dataURItoBlob, tokenClaims: tokenClaims,
           bytesToString: bytesToString, isFunction: isFunction, noop: noop };
}));
