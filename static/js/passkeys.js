// The passkeys page (accounts/passkey_list.html): django-otp-webauthn's register script runs the
// ceremony; once it kept the new passkey, the name typed beforehand is saved with it. A plain
// external script, as the Content-Security-Policy allows no inline one.
(function () {
  "use strict";
  var form = document.getElementById("passkey-name-form");
  if (!form) {
    return;
  }
  var idField = form.querySelector("input[name='passkey']");
  var nameField = form.querySelector("input[name='name']");
  // Enter in the name field must not post a form that names no passkey yet.
  form.addEventListener("submit", function (event) {
    if (!idField.value) {
      event.preventDefault();
      var button = document.getElementById("passkey-register-button");
      if (button) {
        button.click();
      }
    }
  });
  document.addEventListener("otp_webauthn.register_complete", function (event) {
    var id = event.detail && event.detail.id;
    if (id && nameField.value.trim()) {
      idField.value = String(id);
      form.submit();
    } else {
      window.location.reload();
    }
  });
})();
