// Signing in and out of the admin console: the set-password link from bootstrap, wrong
// passwords, sign-out, lockout after 5 failures, forgot-password, and signed-out access.
//
// The steps run in order against one fresh server and depend on each other.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import {
  SETUP_TIMEOUT,
  clickAndLoad,
  expectMessage,
  expectOverview,
  expectVisible,
  field,
  launchBrowser,
  mainNav,
  screenshot,
  signIn,
  skipBrowserValidation,
  startServer,
  steps,
  submitNewPassword,
  visit,
} from './helpers.js';

const PASSWORD = 'correct horse battery staple';
const WRONG = 'not the right password';

let server;
let browser;
let page;

before(async () => {
  server = await startServer('signin');
  browser = await launchBrowser();
  page = browser.page;
}, { timeout: SETUP_TIMEOUT });

after(async () => {
  await browser?.close();
  await server?.stop();
}, { timeout: SETUP_TIMEOUT });

const step = steps('signin', () => page);

/** Asserts the browser ended up on the sign-in page (whatever query string it carries). */
async function expectOnLogin() {
  await page.waitForURL((u) => u.pathname === '/login');
  await expectVisible(page, page.getByRole('button', { name: 'Continue', exact: true }), 'the "Continue" button of the email step');
}

step('signed out, console pages redirect to /login', async () => {
  // Never signed in: the accounts page and the overview both send us to the sign-in form.
  await page.goto(server.orgUrl('/accounts'));
  await expectOnLogin();
  await page.goto(server.orgUrl());
  await expectOnLogin();
});

step('the sign-in page asks the email first, then the password, for any address', async () => {
  await visit(page, server.url('/login'));
  await expectVisible(page, field(page, 'Email'), 'the "Email" input');
  assert.equal(await field(page, 'Password').count(), 0, 'no password field before the email');
  // An address without an account gets the same password step as any other.
  await field(page, 'Email').fill('nobody@nowhere.example');
  await clickAndLoad(page, page.getByRole('button', { name: 'Continue', exact: true }));
  await expectVisible(page, field(page, 'Password'), 'the "Password" input');
  assert.equal(await field(page, 'Email').inputValue(), 'nobody@nowhere.example');
  await screenshot(page, 'login-password-step');
  await clickAndLoad(page, page.getByRole('link', { name: 'Use another email address', exact: true }));
  await expectVisible(page, page.getByRole('button', { name: 'Continue', exact: true }), 'the email step again');
  const forgot = page.getByRole('link', { name: 'Forgot your password?', exact: true });
  await expectVisible(page, forgot, 'the "Forgot your password?" link');
  assert.equal(new URL(await forgot.getAttribute('href'), server.baseURL).pathname, '/login/forgot');
});

step('bootstrap printed a set-password link on this server', async () => {
  // A full URL, built from GATEHOUSE_PUBLIC_URL, to /login/reset?token=...
  assert.ok(server.setPasswordUrl, `bootstrap output has no admin.set_password_url: ${JSON.stringify(server.boot)}`);
  const link = new URL(server.setPasswordUrl);
  assert.equal(link.origin, server.baseURL);
  assert.equal(link.pathname, '/login/reset');
  assert.ok(link.searchParams.get('token'), 'the link carries a token');
});

step('a password shorter than 12 characters is refused', async () => {
  // Open the link and submit a short password (the browser's own minlength check is
  // switched off so that the server's message is what we see).
  await visit(page, server.setPasswordUrl);
  await expectVisible(page, page.getByRole('button', { name: 'Set password', exact: true }), 'the "Set password" button');
  await screenshot(page, 'set-password');
  await skipBrowserValidation(field(page, 'New password'));
  await submitNewPassword(page, 'short-pw');
  await expectMessage(page, 'alert', 'at least 12 characters');
});

step('a long enough password is set and leads to /login', async () => {
  // The form is re-shown after the error (the token still valid): set a good password.
  await expectVisible(page, field(page, 'New password'), 'the "New password" input');
  await submitNewPassword(page, PASSWORD);
  await page.waitForURL((u) => u.pathname === '/login');
  await expectMessage(page, 'status', 'Your password is set');
  await screenshot(page, 'password-set');
});

step('the right password signs in and lands on the overview', async () => {
  await signIn(page, server, server.adminEmail, PASSWORD);
  await expectOverview(page, server);
});

step('"Sign out" ends the session', async () => {
  // Sign out from the console, see the notice on /login.
  await clickAndLoad(page, page.getByRole('button', { name: 'Sign out', exact: true }));
  await page.waitForURL((u) => u.pathname === '/login');
  await expectMessage(page, 'status', 'You are signed out');
  await screenshot(page, 'signed-out');
});

step('a wrong password shows "Incorrect email or password."', async () => {
  // On the very page sign-out left us on (as a person would go on): failure 1 of 5 for the
  // admin account, which the lockout step below counts on.
  await signIn(page, server, server.adminEmail, WRONG);
  await expectMessage(page, 'alert', 'Incorrect email or password.');
  assert.equal(await mainNav(page).count(), 0, 'not signed in');
  await screenshot(page, 'login-failed');
});

step('after signing out, console pages redirect to /login', async () => {
  // The old session no longer opens the console.
  await page.goto(server.orgUrl('/accounts'));
  await expectOnLogin();
  assert.equal(await mainNav(page).count(), 0, 'no console navigation while signed out');
});

step('forgot-password answers the same for a known and an unknown email', async () => {
  // The link on the sign-in page leads to the form.
  await visit(page, server.url('/login'));
  await clickAndLoad(page, page.getByRole('link', { name: 'Forgot your password?', exact: true }));
  assert.equal(new URL(page.url()).pathname, '/login/forgot');

  // Known address.
  await field(page, 'Email').fill(server.adminEmail);
  await clickAndLoad(page, page.getByRole('button', { name: 'Send reset link', exact: true }));
  await expectMessage(page, 'status', 'If an account exists for that address');
  const known = (await page.getByRole('status').filter({ hasText: 'If an account exists' }).first().innerText()).trim();
  await screenshot(page, 'forgot-password');

  // Unknown address: the very same answer.
  await visit(page, server.url('/login/forgot'));
  await field(page, 'Email').fill('nobody@nowhere.example');
  await clickAndLoad(page, page.getByRole('button', { name: 'Send reset link', exact: true }));
  await expectMessage(page, 'status', 'If an account exists for that address');
  const unknown = (await page.getByRole('status').filter({ hasText: 'If an account exists' }).first().innerText()).trim();
  assert.equal(unknown, known, 'the answer must not tell known and unknown addresses apart');
});

step('after 5 failures even the right password is refused', async () => {
  // Failures 2 to 5: still the plain message.
  for (let attempt = 2; attempt <= 5; attempt++) {
    await signIn(page, server, server.adminEmail, `${WRONG} ${attempt}`);
    await expectMessage(page, 'alert', 'Incorrect email or password.');
  }
  // Attempt 6, with the right password: locked.
  await signIn(page, server, server.adminEmail, PASSWORD);
  await expectMessage(page, 'alert', 'Too many failed attempts');
  assert.equal(await mainNav(page).count(), 0, 'a locked account does not get in');
  await screenshot(page, 'login-locked');
  // Still signed out.
  await page.goto(server.orgUrl());
  await expectOnLogin();
});
