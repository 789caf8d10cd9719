// The Domains console pages, end to end, against a real (tiny) DNS server: an account on the
// domain, a public email provider refused, an internationalized name shown as punycode and
// removed, then acme-e2e.test added, checked with no proof published (not found yet), its TXT
// record published, verified, its accounts listed as managed (not external), and the audit
// log. The copy buttons must not raise page errors.
//
// Gatehouse resolves through tests/dns-server.js (GATEHOUSE_DNS_SERVERS), may reach loopback
// addresses (GATEHOUSE_ALLOW_PRIVATE_ADDRESSES) and looks for the HTTPS file on a port where
// nothing listens (GATEHOUSE_DOMAIN_HTTPS_PORT), so that check fails at once.
//
// The steps run in order against one fresh server and depend on each other.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { RCODE, TYPE, query, startDnsServer } from './dns-server.js';
import {
  SETUP_TIMEOUT,
  clickAndLoad,
  dataRows,
  expectMessage,
  expectVisible,
  field,
  formHeaded,
  freePort,
  h1,
  launchBrowser,
  mainNav,
  pageText,
  rowsWith,
  screenshot,
  setPasswordAndSignIn,
  startServer,
  steps,
  visit,
} from './helpers.js';

const PASSWORD = 'a long enough admin password';
const DOMAIN = 'acme-e2e.test';
const EVE = { name: 'Eve', email: `eve@${DOMAIN}` };
const IDN = { typed: 'Bücher.test', ascii: 'xn--bcher-kva.test' };
const TXT_VALUE = /^gatehouse-domain-verification=[0-9a-f]{32}$/;
const HTTPS_PATH = '/.well-known/gatehouse-domain-verification.txt';

let dns;
let server;
let browser;
let page;
const ids = {}; // the domain id of acme-e2e.test, read from its URL

before(async () => {
  dns = await startDnsServer();
  // The domain exists (and points at loopback, where the HTTPS check finds nothing listening),
  // but publishes no TXT record yet.
  dns.setA(DOMAIN, '127.0.0.1');
  server = await startServer('domains', {
    env: {
      GATEHOUSE_DNS_SERVERS: dns.address,
      GATEHOUSE_ALLOW_PRIVATE_ADDRESSES: 'true',
      GATEHOUSE_DOMAIN_HTTPS_PORT: String(await freePort()),
    },
  });
  browser = await launchBrowser();
  page = browser.page;
}, { timeout: SETUP_TIMEOUT });

after(async () => {
  await browser?.close();
  await server?.stop();
  await dns?.close();
}, { timeout: SETUP_TIMEOUT });

const step = steps('domains', () => page);

/** Follows a link of the "Main" navigation and checks the h1 of the page it opens. */
async function openFromNav(linkName, heading = linkName) {
  await clickAndLoad(page, mainNav(page).getByRole('link', { name: linkName, exact: true }));
  await expectVisible(page, h1(page, heading), `the h1 "${heading}"`);
}

/** Fails with the message when the page shows a non-empty role="alert" (a refused form). */
async function expectNoAlert(what) {
  const alerts = (await page.getByRole('alert').allInnerTexts()).map((t) => t.trim()).filter(Boolean);
  assert.deepEqual(alerts, [], `${what}: the page shows an error`);
}

/** The status badge of the domain page (the value of "Status"): pending, verified or failed. */
async function domainStatus() {
  const badge = page.locator('xpath=//dt[normalize-space()="Status"]/following-sibling::dd[1]');
  await expectVisible(page, badge, 'the domain status');
  return (await badge.first().innerText()).trim();
}

/** The rows of the "Check history" table as { time, method, outcome, detail } (none: []). */
async function checkHistory() {
  const section = page.locator('section').filter({ has: page.getByRole('heading', { name: 'Check history', exact: true }) });
  await expectVisible(page, section, 'the "Check history" section');
  return section.getByRole('row').filter({ has: page.getByRole('cell') }).evaluateAll((rows) =>
    rows.map((r) => {
      const [time, method, outcome, detail] = [...r.cells].map((c) => c.innerText.trim());
      return { time, method, outcome, detail };
    }),
  );
}

/** The text of <code id=...> on the domain page. */
async function codeText(id) {
  const code = page.locator(`code#${id}`);
  await expectVisible(page, code, `<code id="${id}">`);
  return (await code.innerText()).trim();
}

/** The queries our DNS server saw for a name (for the messages of failed checks). */
function queriesFor(name) {
  return dns.queries.filter((q) => q.name?.toLowerCase() === name);
}

/** Adds a domain through the "Add domain" form of the Domains page (open in `page`). */
async function addDomain(name, claimLabel) {
  const form = formHeaded(page, 'Add domain');
  await field(form, 'Domain').fill(name);
  if (claimLabel) await field(form, 'Claim accounts').selectOption({ label: claimLabel });
  await clickAndLoad(page, form.getByRole('button', { name: 'Add domain', exact: true }));
}

/** Clicks "Verify now" and waits for the domain page it leads back to. */
async function verifyNow() {
  await clickAndLoad(page, page.getByRole('button', { name: 'Verify now', exact: true }));
  await page.waitForURL((u) => u.pathname === `/admin/orgs/${server.orgId}/domains/${ids.domain}`);
}

step('the test DNS server answers TXT, A, NXDOMAIN and no-data, over UDP and TCP', async () => {
  // A scratch name, so the zone Gatehouse sees is left as the test set it up.
  const name = 'dns-selftest.e2e.test';
  dns.setTxt(name, ['v=spf1', ' -all'], 'hello');
  try {
    for (const transport of ['udp', 'tcp']) {
      const txt = await query(dns.host, dns.port, name.toUpperCase(), 'TXT', { transport, id: 0x1234, rd: true });
      assert.equal(txt.id, 0x1234, `${transport}: the ID is copied`);
      assert.ok(txt.qr && txt.aa && txt.ra && txt.rd, `${transport}: QR, AA, RA set and RD copied`);
      assert.equal(txt.rcode, RCODE.NOERROR);
      assert.deepEqual(txt.questions, [{ name: name.toUpperCase(), type: TYPE.TXT, class: 1 }], `${transport}: the question is echoed`);
      assert.deepEqual(
        txt.answers.map((a) => a.data),
        [['v=spf1', ' -all'], ['hello']],
        `${transport}: both TXT records, the first in two character-strings`,
      );
      const a = await query(dns.host, dns.port, DOMAIN, 'A', { transport, rd: false });
      assert.equal(a.rd, false, `${transport}: RD copied when clear`);
      assert.deepEqual(a.answers.map((r) => r.data), ['127.0.0.1'], `${transport}: the A record`);
      const noTxt = await query(dns.host, dns.port, DOMAIN, 'TXT', { transport });
      assert.equal(noTxt.rcode, RCODE.NOERROR, `${transport}: a known name without TXT is NOERROR`);
      assert.equal(noTxt.answers.length, 0, `${transport}: ... with no answers`);
      const nx = await query(dns.host, dns.port, `nowhere.${DOMAIN}`, 'TXT', { transport });
      assert.equal(nx.rcode, RCODE.NXDOMAIN, `${transport}: an unknown name is NXDOMAIN`);
    }
  } finally {
    dns.remove(name);
  }
});

step('sign in with the set-password link', async () => {
  await setPasswordAndSignIn(page, server, PASSWORD);
});

step(`Accounts: create ${EVE.name} <${EVE.email}>`, async () => {
  await openFromNav('Accounts');
  const form = formHeaded(page, 'Create account');
  await field(form, 'Email').fill(EVE.email);
  await field(form, 'Display name').fill(EVE.name);
  await clickAndLoad(page, form.getByRole('button', { name: 'Create account', exact: true }));
  await expectNoAlert(`creating ${EVE.email}`);
  // Listed under "All". (An account the org creates itself is managed by it from the start.)
  await visit(page, server.orgUrl('/accounts'));
  await expectVisible(page, rowsWith(page, EVE.email), `a row for ${EVE.email}`);
  // The tabs.
  for (const tab of ['All', 'Managed', 'External users']) {
    await expectVisible(page, page.getByRole('link', { name: tab, exact: true }), `the tab "${tab}"`);
  }
});

step('Domains: the page from the navigation, with its "Add domain" form', async () => {
  const link = mainNav(page).getByRole('link', { name: 'Domains', exact: true });
  await expectVisible(page, link, 'the navigation link "Domains"');
  assert.equal(new URL(await link.getAttribute('href'), server.baseURL).pathname, `/admin/orgs/${server.orgId}/domains`);
  await openFromNav('Domains');
  const form = formHeaded(page, 'Add domain');
  await expectVisible(page, field(form, 'Domain'), 'the "Domain" input');
  const options = await field(form, 'Claim accounts')
    .locator('option')
    .evaluateAll((els) => els.map((o) => [o.value, o.textContent.trim()]));
  assert.deepEqual(options, [['automatic', 'Automatically'], ['manual', 'When I choose']], 'the "Claim accounts" options');
  await expectVisible(page, form.getByRole('button', { name: 'Add domain', exact: true }), 'the "Add domain" button');
});

step("a public email provider's domain (gmail.com) is refused", async () => {
  await addDomain('gmail.com', 'Automatically');
  await expectMessage(page, 'alert', 'public email provider');
  assert.equal(new URL(page.url()).pathname, `/admin/orgs/${server.orgId}/domains`, 'still on the Domains page');
  await visit(page, server.orgUrl('/domains'));
  assert.equal(await rowsWith(page, 'gmail.com').count(), 0, 'gmail.com is not listed');
});

step(`an internationalized name (${IDN.typed}) becomes punycode, and "Remove domain" removes it`, async () => {
  await addDomain(IDN.typed, 'When I choose');
  // Its page: the ASCII name as the h1, pending, the record to publish on that name.
  await page.waitForURL((u) => u.pathname.startsWith(`/admin/orgs/${server.orgId}/domains/`));
  await expectVisible(page, h1(page, IDN.ascii), `the h1 "${IDN.ascii}"`);
  await expectMessage(page, 'status', 'Domain added.');
  assert.equal(await domainStatus(), 'pending');
  assert.equal(await codeText('https-url'), `https://${IDN.ascii}${HTTPS_PATH}`);
  assert.equal(await field(page, 'Claim accounts').inputValue(), 'manual', 'claimed "When I choose"');
  // Remove it: back on the list, which no longer has it.
  await clickAndLoad(page, page.getByRole('button', { name: 'Remove domain', exact: true }));
  await page.waitForURL((u) => u.pathname === `/admin/orgs/${server.orgId}/domains`);
  await expectMessage(page, 'status', 'Domain removed.');
  await expectVisible(page, h1(page, 'Domains'), 'the h1 "Domains"');
  assert.equal(await rowsWith(page, IDN.ascii).count(), 0, `${IDN.ascii} is no longer listed`);
  assert.ok(!(await pageText(page)).includes(IDN.typed), 'nor its Unicode form');
});

step(`add ${DOMAIN}, claimed automatically: pending, with the proof to publish`, async () => {
  await addDomain(DOMAIN, 'Automatically');
  await page.waitForURL((u) => u.pathname.startsWith(`/admin/orgs/${server.orgId}/domains/`));
  ids.domain = new URL(page.url()).pathname.split('/').pop();
  await expectVisible(page, h1(page, DOMAIN), `the h1 "${DOMAIN}"`);
  await expectNoAlert(`adding ${DOMAIN}`);
  assert.equal(await domainStatus(), 'pending');

  // "Prove you own it": the TXT value, the HTTPS URL and the token, each with a Copy button.
  await expectVisible(page, page.getByRole('heading', { name: 'Prove you own it', exact: true }), 'the "Prove you own it" section');
  const txt = await codeText('txt-value');
  assert.match(txt, TXT_VALUE, 'the TXT value');
  const token = await codeText('token');
  assert.equal(`gatehouse-domain-verification=${token}`, txt, 'the TXT value carries the token');
  assert.equal(await codeText('https-url'), `https://${DOMAIN}${HTTPS_PATH}`);
  const copies = page.getByRole('button', { name: 'Copy', exact: true });
  assert.deepEqual(
    await copies.evaluateAll((els) => els.map((b) => b.dataset.copy)),
    ['txt-value', 'https-url', 'token'],
    'a Copy button for each value',
  );
  await expectVisible(page, page.getByRole('button', { name: 'Verify now', exact: true }), 'the "Verify now" button');

  // "Accounts on this domain": the claim mode; nothing to claim before it is verified.
  await expectVisible(page, page.getByRole('heading', { name: 'Accounts on this domain', exact: true }), 'the "Accounts on this domain" section');
  assert.equal(await field(page, 'Claim accounts').inputValue(), 'automatic', 'claimed "Automatically"');
  await expectVisible(page, page.getByRole('button', { name: 'Save', exact: true }), 'the "Save" button');
  assert.equal(await page.getByRole('button', { name: 'Claim all accounts', exact: true }).count(), 0, 'no "Claim all accounts" while pending');
  assert.deepEqual(await checkHistory(), [], 'not checked yet');
  await screenshot(page, 'domain-pending');

  // The list shows it, pending.
  await visit(page, server.orgUrl('/domains'));
  const row = rowsWith(page, DOMAIN);
  await expectVisible(page, row.getByRole('link', { name: DOMAIN, exact: true }), `a link "${DOMAIN}"`);
  assert.match(await row.first().innerText(), /\bpending\b/);
  await screenshot(page, 'domains');
});

step('the Copy buttons raise no page error (and copy, where the clipboard can be read)', async () => {
  await visit(page, server.orgUrl(`/domains/${ids.domain}`));
  // Reading the clipboard back needs the permission; without it (or without a clipboard at
  // all) only "no page error" is checked.
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseURL }).catch(() => {});
  const before = browser.pageErrors.length;
  for (const id of ['txt-value', 'https-url', 'token']) {
    const shown = await codeText(id);
    await page.locator(`button[data-copy="${id}"]`).click();
    // Let the clipboard promise settle (and a rejection surface as a page error, if any).
    await page.waitForTimeout(300);
    const copied = await page.evaluate(() => navigator.clipboard?.readText().catch(() => null) ?? null);
    if (copied !== null) assert.equal(copied, shown, `Copy next to #${id} copies its text`);
  }
  assert.deepEqual(browser.pageErrors.slice(before), [], 'no uncaught error after clicking Copy');
  assert.equal(new URL(page.url()).pathname, `/admin/orgs/${server.orgId}/domains/${ids.domain}`, 'still on the domain page');
});

step('"Verify now" with nothing published: the proof was not found yet', async () => {
  const seen = queriesFor(DOMAIN).length;
  await verifyNow();
  await expectMessage(page, 'status', 'The proof was not found yet');
  assert.equal(await domainStatus(), 'pending', 'still pending');
  // The history has this check; each method's outcome is missing or unreachable.
  const history = await checkHistory();
  assert.ok(history.length >= 1, 'the "Check history" table has a row');
  for (const row of history) {
    assert.ok(['missing', 'unreachable'].includes(row.outcome), `outcome missing or unreachable: ${JSON.stringify(row)}`);
  }
  // Our DNS server answered (no TXT record on the name), so the DNS check found it missing.
  assert.ok(
    history.some((r) => r.method === 'dns' && r.outcome === 'missing'),
    `a dns check with the outcome missing: ${JSON.stringify(history)}`,
  );
  // And it asked our DNS server for the TXT record.
  const asked = queriesFor(DOMAIN).slice(seen);
  assert.ok(asked.some((q) => q.type === 'TXT'), `Gatehouse asked the test DNS server for TXT ${DOMAIN}: ${JSON.stringify(asked)}`);
});

step('publish the TXT record, "Verify now": verified', async () => {
  // The value as the page shows it, published in two character-strings (one TXT record), next
  // to an unrelated record.
  const value = await codeText('txt-value');
  const cut = 'gatehouse-domain-verification='.length;
  dns.setTxt(DOMAIN, 'v=spf1 -all', [value.slice(0, cut), value.slice(cut)]);
  await verifyNow();
  await expectMessage(page, 'status', 'Domain verified.');
  assert.equal(await domainStatus(), 'verified');
  const history = await checkHistory();
  assert.ok(history.some((r) => r.outcome === 'found'), `a check found the proof: ${JSON.stringify(history)}`);
  // Now the accounts on it can be claimed and listed.
  await expectVisible(page, page.getByRole('button', { name: 'Claim all accounts', exact: true }), 'the "Claim all accounts" button');
  await expectVisible(
    page,
    page.getByRole('link', { name: `See managed accounts on ${DOMAIN}`, exact: true }),
    `the link "See managed accounts on ${DOMAIN}"`,
  );
  await screenshot(page, 'domain-verified');
});

step(`"See managed accounts on ${DOMAIN}" lists ${EVE.email} as managed`, async () => {
  await clickAndLoad(page, page.getByRole('link', { name: `See managed accounts on ${DOMAIN}`, exact: true }));
  const url = new URL(page.url());
  assert.equal(url.pathname, `/admin/orgs/${server.orgId}/accounts`);
  assert.equal(url.searchParams.get('scope'), 'managed');
  assert.equal(url.searchParams.get('domain'), DOMAIN);
  await expectVisible(page, h1(page, 'Accounts'), 'the h1 "Accounts"');
  const row = rowsWith(page, EVE.email);
  await expectVisible(page, row, `${EVE.email} among the managed accounts`);
  assert.match(await row.first().innerText(), /\bYes\b/, 'Eve is managed');
  for (const r of await dataRows(page).allInnerTexts()) {
    assert.ok(r.includes(`@${DOMAIN}`), `only accounts on ${DOMAIN}: ${r}`);
  }
});

step(`the "External users" tab does not list ${EVE.email}`, async () => {
  await clickAndLoad(page, page.getByRole('link', { name: 'External users', exact: true }));
  assert.equal(new URL(page.url()).searchParams.get('scope'), 'external');
  await expectVisible(page, h1(page, 'Accounts'), 'the h1 "Accounts"');
  assert.equal(await rowsWith(page, EVE.email).count(), 0, `${EVE.email} is not an external user`);
});

step('Audit log: domain.added and domain.verified', async () => {
  await openFromNav('Audit log');
  for (const action of ['domain.added', 'domain.verified', 'domain.removed']) {
    await expectVisible(page, rowsWith(page, action), `a row for ${action}`);
  }
  assert.ok((await rowsWith(page, 'domain.added').allInnerTexts()).some((t) => t.includes(DOMAIN)), `domain.added names ${DOMAIN}`);
});

step('no page error and no dialog along the way', async () => {
  assert.deepEqual(browser.pageErrors, [], 'no uncaught script error on any page');
  assert.deepEqual(browser.dialogs, [], 'no dialog');
});
