// contact-form.js: submit the contact form without a page reload.
(function () {
  var form = document.getElementById("contact-form");
  var note = document.getElementById("contact-note");
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var email = form.querySelector("input[type=email]");
    if (!email.value || email.value.indexOf("@") < 0) {
      note.textContent = "Please enter your email address.";
      return;
    }
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (r) { note.textContent = r.ok ? "Thank you, we will reply soon." : "Sending failed; please try again."; });
  }, false);
})();
