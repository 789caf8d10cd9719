// Security keys and passkeys on Gatehouse's pages. Each form marked here asks the server for a
// ceremony's options (a POST carrying the form's CSRF token), runs the browser's WebAuthn
// dialog through gatehouseWebauthn, puts the answer into the form's hidden fields and submits
// the form as a plain post: the server answers with a page, as for any other form.
//
//   form#key-register     add a security key or passkey (/account/two-step)
//   form#key-sign-in      the second step of a sign-in (/login/two-step)
//   form#passkey-sign-in  sign in with a passkey and no password (/login)
(function () {
  'use strict';

  var ceremonies = { 'key-register': 'create', 'key-sign-in': 'get', 'passkey-sign-in': 'get' };

  function say(form, text) {
    var out = document.getElementById(form.id + '-error');
    if (!out) return;
    out.textContent = text;
    out.hidden = !text;
  }

  function options(form) {
    var body = new URLSearchParams();
    body.set('csrf', form.elements.csrf.value);
    return fetch(form.dataset.options, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: body.toString()
    }).then(function (res) {
      return res.json().then(function (json) {
        if (!res.ok) throw new Error(json.detail || 'The server refused to start.');
        return json;
      });
    });
  }

  function run(form, verb) {
    say(form, '');
    options(form)
      .then(function (started) {
        form.elements.token.value = started.token;
        return window.gatehouseWebauthn[verb](started.options);
      })
      .then(function (answer) {
        form.elements.credential.value = JSON.stringify(answer);
        HTMLFormElement.prototype.submit.call(form);
      })
      .catch(function (err) {
        var cancelled = err && (err.name === 'NotAllowedError' || err.name === 'AbortError');
        say(form, cancelled ? 'The request was cancelled or timed out. Try again.' : String(err.message || err));
      });
  }

  document.addEventListener('DOMContentLoaded', function () {
    Object.keys(ceremonies).forEach(function (id) {
      var form = document.getElementById(id);
      if (!form) return;
      if (!window.PublicKeyCredential) {
        say(form, 'This browser does not support security keys or passkeys.');
        return;
      }
      form.addEventListener('submit', function (event) {
        event.preventDefault();
        if (typeof form.reportValidity === 'function' && !form.reportValidity()) return;
        run(form, ceremonies[id]);
      });
    });
  });
})();
