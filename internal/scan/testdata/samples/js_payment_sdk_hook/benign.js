// paylib-retry.js: retry the payment library's createToken once on a network
// error. It wraps the function but sends nothing itself.
(function () {
  if (!window.PayLib) return;
  var real = window.PayLib.createToken;
  window.PayLib.createToken = function () {
    var self = this, args = arguments;
    return real.apply(this, arguments).catch(function (err) {
      if (err && err.code === "network") return real.apply(self, args);
      throw err;
    });
  };
})();
