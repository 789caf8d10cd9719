// Every account signs in, not only admins: an admin adds a person (who is mailed a set-password
// link), invites them to be an admin (their account is not the org's to manage); the person
// sets a password from the mail, signs in through the two-step sign-in to their account page,
// renames themselves, accepts the invitation, reaches the console, and signs out everywhere.
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
  screenshot,
  setPasswordAndSignIn,
  startServer,
  steps,
  submitNewPassword,
  visit,
} from './helpers.js';

const ADMIN_PASSWORD = 'correct horse battery staple';
const PAT = 'pat@elsewhere.example';
const PAT_PASSWORD = 'pat chooses a passphrase';

let server;
let browser;
let page;

before(async () => {
  server = await startServer('account');
  browser = await launchBrowser();
  page = browser.page;
}, { timeout: SETUP_TIMEOUT });

after(async () => {
  await browser?.close();
  await server?.stop();
}, { timeout: SETUP_TIMEOUT });

const step = steps('account', () => page);

step('the admin adds Pat, who is mailed a set-password link', async () => {
  await setPasswordAndSignIn(page, server, ADMIN_PASSWORD);
  await visit(page, server.orgUrl('/accounts'));
  await field(page, 'Email').fill(PAT);
  await field(page, 'Display name').fill('Pat');
  await clickAndLoad(page, page.getByRole('button', { name: 'Create account', exact: true }));
  await mailTo(server, PAT, '/login/reset?token=');
});

step('the admin invites Pat to be an admin: an invitation, not a role', async () => {
  await visit(page, server.orgUrl('/admins'));
  await page.getByLabel('Account').selectOption({ label: PAT }).catch(async () => {
    // The option's text may carry the name too: pick the one that mentions the address.
    const options = await page.getByLabel('Account').locator('option').allTextContents();
    const label = options.find((o) => o.includes(PAT));
    assert.ok(label, `Pat is offered: ${options}`);
    await page.getByLabel('Account').selectOption({ label });
  });
  await clickAndLoad(page, page.getByRole('button', { name: 'Make admin', exact: true }));
  await expectMessage(page, 'status', 'Invitation sent');
  await screenshot(page, 'admins-invitation-sent');
  await clickAndLoad(page, page.getByRole('button', { name: 'Sign out', exact: true }));
});

step('Pat sets a password from the mail and signs in in two steps to the account page', async () => {
  const mail = await mailTo(server, PAT, '/login/reset?token=');
  const link = mail.split('\r\n').find((l) => l.includes('/login/reset?token=')).trim();
  await visit(page, link);
  await submitNewPassword(page, PAT_PASSWORD);
  await page.waitForURL((u) => u.pathname === '/login');
  await field(page, 'Email').fill(PAT);
  await clickAndLoad(page, page.getByRole('button', { name: 'Continue', exact: true }));
  await field(page, 'Password').fill(PAT_PASSWORD);
  await clickAndLoad(page, page.getByRole('button', { name: 'Sign in', exact: true }));
  await page.waitForURL((u) => u.pathname === '/account');
  await expectVisible(page, page.getByRole('heading', { name: 'Your account', exact: true }), 'the account page');
  assert.equal((await page.locator('#account-email').innerText()).trim(), PAT);
  assert.equal(await page.getByRole('link', { name: 'Go to the admin console' }).count(), 0, 'no role yet');
  await screenshot(page, 'account-page');
});

step('Pat renames themselves', async () => {
  await field(page, 'Name').fill('Pat Q. Public');
  await clickAndLoad(page, page.getByRole('button', { name: 'Save name', exact: true }));
  await expectMessage(page, 'status', 'Your name is saved');
  assert.equal((await page.locator('#account-name').innerText()).trim(), 'Pat Q. Public');
});

step('Pat accepts the invitation and reaches the console', async () => {
  await expectVisible(page, page.getByRole('heading', { name: 'Admin invitations' }), 'the invitations');
  await clickAndLoad(page, page.getByRole('button', { name: 'Accept', exact: true }));
  await expectMessage(page, 'status', 'You are now an admin');
  await clickAndLoad(page, page.getByRole('link', { name: 'Go to the admin console' }));
  await page.waitForURL((u) => u.pathname === `/admin/orgs/${server.orgId}`);
});

step('Pat signs out everywhere from the account page', async () => {
  await visit(page, server.url('/account'));
  await expectVisible(page, page.getByText('this browser'), 'this browser\'s session in the list');
  await clickAndLoad(page, page.getByRole('button', { name: 'Sign out everywhere', exact: true }));
  await page.waitForURL((u) => u.pathname === '/login');
  await expectMessage(page, 'status', 'You are signed out');
  await page.goto(server.url('/account'));
  await page.waitForURL((u) => u.pathname === '/login');
});
