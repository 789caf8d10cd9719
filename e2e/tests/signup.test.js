// Signing up on a server started with --allow-signup: the sign-in page links to sign-up, the
// form answers "check your email", the mailed link (read from the outbox folder) opens a form
// for a name and a password, and the new account signs in through the ordinary flow.
//
// The steps run in order against one fresh server and depend on each other.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import {
  SETUP_TIMEOUT,
  clickAndLoad,
  expectMessage,
  expectVisible,
  field,
  launchBrowser,
  mailTo,
  startServer,
  steps,
  visit,
} from './helpers.js';

const EMAIL = 'newcomer@example.net';
const NAME = 'New Comer';
const PASSWORD = 'a newcomer passphrase';

let server;
let browser;
let page;
let link;

before(async () => {
  server = await startServer('signup', { env: { GATEHOUSE_ALLOW_SIGNUP: 'true' } });
  browser = await launchBrowser();
  page = browser.page;
}, { timeout: SETUP_TIMEOUT });

after(async () => {
  await browser?.close();
  await server?.stop();
}, { timeout: SETUP_TIMEOUT });

const step = steps('signup', () => page);

step('the sign-in page links to sign-up', async () => {
  await visit(page, server.url('/login'));
  const signUp = page.getByRole('link', { name: 'Create an account', exact: true });
  await expectVisible(page, signUp, 'the "Create an account" link');
  await clickAndLoad(page, signUp);
  assert.equal(new URL(page.url()).pathname, '/signup');
});

step('the sign-up form answers "check your email"', async () => {
  await field(page, 'Email').fill(EMAIL);
  await clickAndLoad(page, page.getByRole('button', { name: 'Continue', exact: true }));
  await expectMessage(page, 'status', 'Check your email');
});

step('the mailed link opens the form for a name and a password', async () => {
  const mail = await mailTo(server, EMAIL);
  const line = mail.split('\r\n').find((l) => l.includes('/signup/confirm?token='));
  assert.ok(line, `the mail has a confirm link:\n${mail}`);
  link = new URL(line.trim());
  assert.equal(link.origin, server.baseURL, 'the link points at this server');
  await visit(page, link.toString());
  await expectVisible(page, page.getByRole('heading', { level: 1, name: 'Create your account' }), 'the heading');
  assert.equal(await field(page, 'Email').inputValue(), EMAIL);
});

step('setting a name and a password creates the account and leads to sign-in', async () => {
  await field(page, 'Your name').fill(NAME);
  await field(page, 'Password').fill(PASSWORD);
  await field(page, 'Confirm password').fill(PASSWORD);
  await clickAndLoad(page, page.getByRole('button', { name: 'Create account', exact: true }));
  await page.waitForURL((u) => u.pathname === '/login');
  await expectMessage(page, 'status', 'Your account is ready');
});

step('the new account signs in with its password', async () => {
  // Email first, then the password step.
  await field(page, 'Email').fill(EMAIL);
  await clickAndLoad(page, page.getByRole('button', { name: 'Continue', exact: true }));
  await field(page, 'Password').fill(PASSWORD);
  await clickAndLoad(page, page.getByRole('button', { name: 'Sign in', exact: true }));
  await page.waitForURL((u) => u.pathname !== '/login');
  const cookies = await browser.context.cookies(server.baseURL);
  assert.ok(cookies.some((c) => c.name === 'gh_session'), 'a session cookie was set');
});

step('the link worked once', async () => {
  await visit(page, link.toString(), 410);
  await expectMessage(page, 'alert', 'expired or was already used');
});
