// Two-step verification in the browser: an authenticator app enrolled on /account/two-step
// with a code computed here (RFC 6238, as a phone app does), the sign-in's second step with
// it, then a security key / passkey registered with Chromium's virtual authenticator (the
// DevTools protocol), used as the second step, and used alone to sign in with no password.
//
// The server's public URL is http://localhost:<port>: WebAuthn needs a host name.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before } from 'node:test';
import {
  SETUP_TIMEOUT,
  clickAndLoad,
  expectMessage,
  expectVisible,
  field,
  launchBrowser,
  screenshot,
  setPasswordAndSignIn,
  signIn,
  startServer,
  steps,
  visit,
} from './helpers.js';

const PASSWORD = 'correct horse battery staple';

let server;
let browser;
let page;
let totpKey;
let authenticatorId;
let cdp;

before(async () => {
  server = await startServer('two-step', { host: 'localhost' });
  browser = await launchBrowser();
  page = browser.page;
}, { timeout: SETUP_TIMEOUT });

after(async () => {
  await browser?.close();
  await server?.stop();
}, { timeout: SETUP_TIMEOUT });

const step = steps('two-step', () => page);

/** RFC 4648 base32 (the key as the page shows it, in groups of four) to bytes. */
function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of text.replace(/\s/g, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** The six-digit code of `key` for 30-second step `counter` (RFC 6238 over RFC 4226). */
function totp(key, counter) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = crypto.createHmac('sha1', key).update(msg).digest();
  const off = mac[mac.length - 1] & 0x0f;
  const n = (mac.readUInt32BE(off) & 0x7fffffff) % 1_000_000;
  return String(n).padStart(6, '0');
}

const stepNow = () => Math.floor(Date.now() / 1000 / 30);

async function signOut() {
  await visit(page, server.url('/account'));
  await clickAndLoad(page, page.locator('form[action="/logout"] button'));
  await page.waitForURL((u) => u.pathname === '/login');
}

step('the RFC 6238 test vector holds for the code computed here', async () => {
  // Appendix B, SHA-1, T = 59 s: 94287082 (eight digits); six digits are its last six.
  assert.equal(totp(Buffer.from('12345678901234567890'), 1), '287082');
});

step('an admin enrols an authenticator app with the key, URI and QR code the page shows', async () => {
  await setPasswordAndSignIn(page, server, PASSWORD);
  await visit(page, server.url('/account/two-step'));
  await expectVisible(page, page.getByText('Two-step verification is off'), 'the off status');
  await clickAndLoad(page, page.getByRole('button', { name: 'Set up an authenticator app' }));
  const keyText = await page.locator('#totp-key').innerText();
  const uri = await page.locator('#totp-uri').textContent();
  assert.match(uri, /^otpauth:\/\/totp\/Gatehouse:admin%40acme\.example\?/);
  assert.ok(uri.includes(`secret=${keyText.replace(/\s/g, '')}`), uri);
  const qr = page.locator('#totp-qr svg');
  await expectVisible(page, qr, 'the QR code');
  totpKey = base32(keyText);
  assert.equal(totpKey.length, 20);
  await screenshot(page, 'two-step-totp-setup');
  await field(page, 'Code from the app').fill(totp(totpKey, stepNow()));
  await clickAndLoad(page, page.getByRole('button', { name: 'Turn on' }));
  await expectMessage(page, 'status', 'Two-step verification is on');
  const codes = await page.locator('#recovery-codes code').allInnerTexts();
  assert.equal(codes.length, 10);
  for (const c of codes) assert.match(c, /^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/);
});

step('the next sign-in asks for a code after the password', async () => {
  await signOut();
  await signIn(page, server, server.adminEmail, PASSWORD);
  await page.waitForURL((u) => u.pathname === '/login/two-step');
  await expectVisible(page, page.getByRole('link', { name: 'Use a recovery code' }), 'the recovery-code way');
  // The enrolment spent this step's code: the next step's code is within the window.
  await field(page, 'Code from your authenticator app').fill(totp(totpKey, stepNow() + 1));
  await clickAndLoad(page, page.getByRole('button', { name: 'Verify' }));
  await page.waitForURL((u) => u.pathname.startsWith('/admin'));
});

step('a security key is added with a virtual authenticator', async () => {
  cdp = await browser.context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const added = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'usb',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  authenticatorId = added.authenticatorId;
  await visit(page, server.url('/account/two-step'));
  await field(page, 'Name of the key').fill('Virtual key');
  await clickAndLoad(page, page.getByRole('button', { name: 'Add a security key or passkey' }));
  await expectMessage(page, 'status', 'The security key is added.');
  await expectVisible(page, page.locator('#security-keys').getByText('Virtual key'), 'the key in the list');
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.equal(credentials.length, 1);
  assert.equal(credentials[0].isResidentCredential, true, 'a discoverable credential: a passkey');
});

step('the security key is the second step of a sign-in', async () => {
  await signOut();
  await signIn(page, server, server.adminEmail, PASSWORD);
  await page.waitForURL((u) => u.pathname === '/login/two-step');
  await clickAndLoad(page, page.getByRole('link', { name: 'Use a security key or passkey' }));
  await clickAndLoad(page, page.getByRole('button', { name: 'Use my security key' }));
  await page.waitForURL((u) => u.pathname.startsWith('/admin'));
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.ok(credentials[0].signCount >= 2, `the counter moved on: ${credentials[0].signCount}`);
});

step('the passkey signs in with no password', async () => {
  await signOut();
  await visit(page, server.url('/login?next=%2Faccount'));
  await clickAndLoad(page, page.getByRole('button', { name: 'Sign in with a passkey' }));
  await page.waitForURL((u) => u.pathname === '/account');
  await expectVisible(page, page.getByText(server.adminEmail).first(), 'the account page');
  assert.deepEqual(browser.pageErrors, []);
});

step('a passkey the server does not know is refused', async () => {
  await signOut();
  await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
  const other = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  // A credential for this site made elsewhere (another server's database, a stolen export).
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await cdp.send('WebAuthn.addCredential', {
    authenticatorId: other.authenticatorId,
    credential: {
      credentialId: crypto.randomBytes(16).toString('base64'),
      isResidentCredential: true,
      rpId: 'localhost',
      privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
      userHandle: Buffer.from('0190c0de000070008000000000000001', 'hex').toString('base64'),
      signCount: 0,
    },
  });
  await visit(page, server.url('/login?next=%2Faccount'));
  await clickAndLoad(page, page.getByRole('button', { name: 'Sign in with a passkey' }));
  await expectMessage(page, 'alert', 'not accepted');
  assert.equal(new URL(page.url()).pathname, '/login/passkey');
});
