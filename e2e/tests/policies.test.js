// Authentication policies in the browser: the admin adds a policy, makes it require two-step
// verification (the review of the simulation comes before the save), then moves a managed
// member into it by uploading a CSV file: the page's script shows the simulation (the member
// has no second factor), then moves the rows in chunks while a progress bar advances, and the
// report says the row moved. The member then signs in with their password in a browser of
// their own, is sent to set up an authenticator app at that sign-in (the code is computed here,
// RFC 6238, as a phone app does), sees the recovery codes and lands signed in.
//
// Acme has verified acme.example (through the API, against tests/dns-server.js): an
// organization manages, and so puts in its policies, only accounts on a domain it verified.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before } from 'node:test';
import { startDnsServer } from './dns-server.js';
import {
  SETUP_TIMEOUT,
  clickAndLoad,
  expectMessage,
  expectVisible,
  field,
  freePort,
  h1,
  launchBrowser,
  mailTo,
  mainNav,
  screenshot,
  setPasswordAndSignIn,
  startServer,
  steps,
  submitNewPassword,
  visit,
} from './helpers.js';

const ADMIN_PASSWORD = 'a long enough admin password';
const MIA = { name: 'Mia Member', email: 'mia@acme.example', password: 'mia has a long passphrase too' };
const POLICY = 'Two-step required';

let dns;
let server;
let browser;
let member;
let page;

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

/** Acme adds acme.example and proves it with a TXT record, through the admin API. */
async function verifyAcmeDomain() {
  const api = async (method, p, body) => {
    const res = await fetch(server.url(`/api/v1/orgs/${server.orgId}${p}`), {
      method,
      headers: { authorization: `Bearer ${server.boot.api_key}`, 'content-type': 'application/json' },
      body: body && JSON.stringify(body),
    });
    const json = await res.json();
    assert.ok(res.ok, `${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const added = await api('POST', '/domains', { name: 'acme.example' });
  dns.setTxt('acme.example', added.txt_record);
  const checked = await api('POST', `/domains/${added.id}/verify`);
  assert.equal(checked.domain.status, 'verified', 'acme.example is verified');
}

before(async () => {
  dns = await startDnsServer();
  dns.setA('acme.example', '127.0.0.1');
  server = await startServer('policies', {
    env: {
      GATEHOUSE_DNS_SERVERS: dns.address,
      GATEHOUSE_ALLOW_PRIVATE_ADDRESSES: 'true',
      GATEHOUSE_DOMAIN_HTTPS_PORT: String(await freePort()),
    },
  });
  await verifyAcmeDomain();
  browser = await launchBrowser();
  page = browser.page;
}, { timeout: SETUP_TIMEOUT });

after(async () => {
  await member?.close();
  await browser?.close();
  await server?.stop();
  await dns?.close();
}, { timeout: SETUP_TIMEOUT });

const step = steps('policies', () => page);

const orgUrl = (p) => server.url(`/admin/orgs/${server.orgId}${p}`);

step('the admin adds Mia, a managed account, who sets her password from the mail', async () => {
  await setPasswordAndSignIn(page, server, ADMIN_PASSWORD);
  await visit(page, orgUrl('/accounts'));
  await field(page, 'Email').fill(MIA.email);
  await field(page, 'Display name').fill(MIA.name);
  await clickAndLoad(page, page.getByRole('button', { name: 'Create account', exact: true }));
  const mail = await mailTo(server, MIA.email, '/login/reset?token=');
  const link = mail.split('\r\n').find((l) => l.includes('/login/reset?token=')).trim();
  // In a browser of her own: the admin's stays signed in.
  const own = await launchBrowser();
  try {
    await visit(own.page, link);
    await submitNewPassword(own.page, MIA.password);
    await own.page.waitForURL((u) => u.pathname === '/login');
  } finally {
    await own.close();
  }
});

step('the admin opens the policies page and adds a policy', async () => {
  await visit(page, orgUrl(''));
  await clickAndLoad(page, mainNav(page).getByRole('link', { name: 'Authentication policies', exact: true }));
  await expectVisible(page, h1(page, 'Authentication policies'), 'the h1');
  await expectVisible(page, page.getByText('default', { exact: true }), 'the default badge');
  await screenshot(page, 'policies-list');
  await field(page, 'Name').fill(POLICY);
  await clickAndLoad(page, page.getByRole('button', { name: 'Add policy', exact: true }));
  await expectMessage(page, 'status', 'Policy added.');
  await expectVisible(page, h1(page, POLICY), 'the policy page');
});

step('requiring two-step verification is reviewed before it is saved', async () => {
  await page.getByRole('radio', { name: /Required: a member without it/ }).check();
  await clickAndLoad(page, page.getByRole('button', { name: 'Review changes', exact: true }));
  await expectVisible(page, h1(page, `Review changes to ${POLICY}`), 'the review');
  await expectVisible(page, page.getByRole('heading', { name: 'Simulation', exact: true }), 'the simulation');
  await screenshot(page, 'policies-review');
  await clickAndLoad(page, page.getByRole('button', { name: 'Confirm and save', exact: true }));
  await expectMessage(page, 'status', 'Policy saved.');
  await expectVisible(page, page.getByText('Two-step required', { exact: true }), 'the saved rule');
});

step('Mia is moved in by a CSV upload: simulation, progress to the end, a report row that says moved', async () => {
  await clickAndLoad(page, page.getByRole('link', { name: '0', exact: true }));
  await expectVisible(page, h1(page, `Members of ${POLICY}`), 'the members page');
  await page.locator('#csv-file').setInputFiles({
    name: 'members.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(`email\n${MIA.email}\n`),
  });
  // The script takes the submit: no page load, the review appears on this page.
  await page.getByRole('button', { name: 'Upload and review', exact: true }).click();
  const simulated = page.locator('#csv-simulation-accounts tr').filter({ hasText: MIA.email });
  await expectVisible(page, simulated, 'Mia in the simulation');
  assert.match(await simulated.innerText(), /No second factor yet/);
  await expectMessage(page, 'status', '1 account(s) will move');
  await screenshot(page, 'policies-upload-review');
  await page.getByRole('button', { name: 'Confirm and move', exact: true }).click();
  await expectMessage(page, 'status', 'Done: 1 account(s) moved');
  const progress = page.locator('#csv-progress');
  assert.equal(await progress.evaluate((p) => p.value === p.max && p.max === 1), true, 'the bar is full');
  const row = page.locator('#csv-report tbody tr').filter({ hasText: MIA.email });
  assert.equal(await row.getAttribute('data-outcome'), 'moved');
  assert.match(await row.innerText(), /Moved/);
  await screenshot(page, 'policies-upload-report');
  assert.deepEqual(browser.pageErrors, [], 'no script errors');
  await visit(page, page.url());
  await expectVisible(page, page.getByRole('cell', { name: MIA.email, exact: true }), 'Mia listed as a member');
});

step('Mia signs in with her password and must set up an authenticator app first', async () => {
  member = await launchBrowser();
  const p = member.page;
  await visit(p, server.url('/login'));
  await field(p, 'Email').fill(MIA.email);
  await clickAndLoad(p, p.getByRole('button', { name: 'Continue', exact: true }));
  await field(p, 'Password').fill(MIA.password);
  await clickAndLoad(p, p.getByRole('button', { name: 'Sign in', exact: true }));
  await p.waitForURL((u) => u.pathname === '/login/enrol');
  await expectVisible(p, p.locator('#totp-qr svg'), 'the QR code');
  const key = base32(await p.locator('#totp-key').innerText());
  assert.equal(key.length, 20);
  await screenshot(p, 'policies-member-enrol');
  await field(p, 'Code from the app').fill(totp(key, stepNow()));
  await clickAndLoad(p, p.getByRole('button', { name: 'Turn on and continue', exact: true }));
  await expectVisible(p, p.locator('#recovery-codes'), 'the recovery codes');
  assert.equal((await p.locator('#recovery-codes code').allInnerTexts()).length, 10);
  await screenshot(p, 'policies-member-recovery-codes');
  await clickAndLoad(p, p.locator('#continue'));
  await p.waitForURL((u) => u.pathname === '/account');
  await expectVisible(p, p.getByText(MIA.email).first(), 'Mia signed in on her account page');
  await screenshot(p, 'policies-member-signed-in');
});
