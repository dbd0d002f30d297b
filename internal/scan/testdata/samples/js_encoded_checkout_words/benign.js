// checkout-session.js: shows who is signed in on the checkout page. The
// word checkout is plain text; atob only decodes the session token's claims.
(function () {
  if (location.pathname.indexOf("/checkout") !== 0) return;
  var t = document.cookie.replace(/(?:(?:^|.*;\s*)session\s*=\s*([^;]*).*$)|^.*$/, "$1");
  if (!t) return;
  var claims = JSON.parse(atob(t.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
  document.getElementById("checkout-user").textContent = claims.name;
})();
