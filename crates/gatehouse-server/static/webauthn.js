// Gatehouse's WebAuthn codec, served as /static/webauthn.js.
//
// The server (webauthn-rs) speaks JSON with binary fields as unpadded base64url.
// navigator.credentials wants ArrayBuffers. This file converts both ways and
// nothing else, so the page script stays small and the posted JSON has the
// exact shape the Rust tests' SoftAuthenticator posts.
//
// No build step, no dependencies, no eval: it runs under script-src 'self'.
(function () {
  'use strict';

  // base64url (RFC 4648 §5) without padding -> ArrayBuffer.
  function toBuffer(text) {
    var b64 = String(text).replace(/-/g, '+').replace(/_/g, '/');
    b64 += '==='.slice((b64.length + 3) % 4);
    var raw = atob(b64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }

  // ArrayBuffer or view -> base64url without padding, as webauthn-rs expects.
  function toText(buffer) {
    var bytes = ArrayBuffer.isView(buffer)
      ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
      : new Uint8Array(buffer);
    var raw = '';
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  // Credential descriptors carry their id as text; the browser wants bytes.
  function descriptors(list) {
    return (list || []).map(function (d) {
      return Object.assign({}, d, { id: toBuffer(d.id) });
    });
  }

  // Client extension results are unsigned JSON for the server. Binary outputs
  // (hmac-secret, prf, largeBlob) would serialize as {}, so encode them as text.
  function plain(value) {
    if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return toText(value);
    if (Array.isArray(value)) return value.map(plain);
    if (value && typeof value === 'object') {
      var out = {};
      Object.keys(value).forEach(function (k) { out[k] = plain(value[k]); });
      return out;
    }
    return value;
  }

  function publicKeyOf(options) {
    if (!options || !options.publicKey) throw new TypeError('expected the server\'s {"publicKey": ...} options');
    return options.publicKey;
  }

  function creationRequest(options) {
    var given = publicKeyOf(options);
    var publicKey = Object.assign({}, given, {
      challenge: toBuffer(given.challenge),
      user: Object.assign({}, given.user, { id: toBuffer(given.user.id) })
    });
    if (given.excludeCredentials) publicKey.excludeCredentials = descriptors(given.excludeCredentials);
    return { publicKey: publicKey };
  }

  function assertionRequest(options, flags) {
    var given = publicKeyOf(options);
    var publicKey = Object.assign({}, given, {
      challenge: toBuffer(given.challenge),
      allowCredentials: descriptors(given.allowCredentials)
    });
    var request = { publicKey: publicKey };
    if (flags && flags.conditional) request.mediation = 'conditional';
    if (flags && flags.signal) request.signal = flags.signal;
    return request;
  }

  // Bad options reject like the browser's own errors. navigator.credentials is
  // still called synchronously: Safari wants it inside the click's own task.
  function call(method, build, options, flags) {
    var request;
    try {
      request = build(options, flags);
    } catch (err) {
      return Promise.reject(err);
    }
    return navigator.credentials[method](request);
  }

  // options: webauthn-rs CreationChallengeResponse, {"publicKey": {...}}.
  // Resolves to the JSON to post back (RegisterPublicKeyCredential).
  function create(options) {
    return call('create', creationRequest, options).then(function (credential) {
      var response = credential.response;
      var body = {
        attestationObject: toText(response.attestationObject),
        clientDataJSON: toText(response.clientDataJSON)
      };
      // getTransports() is missing in older browsers; the server treats transports as optional.
      if (typeof response.getTransports === 'function') body.transports = response.getTransports();
      return {
        id: toText(credential.rawId),
        rawId: toText(credential.rawId),
        type: credential.type,
        response: body,
        extensions: plain(credential.getClientExtensionResults())
      };
    });
  }

  // options: webauthn-rs RequestChallengeResponse, {"publicKey": {...}, "mediation"?}.
  // flags.conditional: run as conditional UI (passkey autofill). The server's
  // "mediation" is dropped otherwise, so a button press gets the modal dialog.
  // flags.signal: an AbortSignal, to cancel a pending conditional request.
  // Resolves to the JSON to post back (PublicKeyCredential).
  function get(options, flags) {
    return call('get', assertionRequest, options, flags).then(function (credential) {
      var response = credential.response;
      return {
        id: toText(credential.rawId),
        rawId: toText(credential.rawId),
        type: credential.type,
        response: {
          authenticatorData: toText(response.authenticatorData),
          clientDataJSON: toText(response.clientDataJSON),
          signature: toText(response.signature),
          userHandle: response.userHandle ? toText(response.userHandle) : null
        },
        extensions: plain(credential.getClientExtensionResults())
      };
    });
  }

  window.gatehouseWebauthn = Object.freeze({ create: create, get: get });
})();
