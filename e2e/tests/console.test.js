// The admin console, end to end: sign in, then a product instance, an account, a group with a
// member, product access for the group, the account page, deactivation, API keys, the audit
// log with filter, details and exports, and the safety checks (CSRF, HTML escaping, other orgs).
//
// Acme has verified acme.example (through the API, against tests/dns-server.js, before the
// browser starts): an organization manages, and so may deactivate, only accounts on a domain
// it has verified.
//
// The steps run in order against one fresh server and depend on each other.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before } from 'node:test';
import { startDnsServer } from './dns-server.js';
import {
  ADMIN_EMAIL,
  DOWNLOAD_DIR,
  ORG_NAME,
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
  sectionText,
  selectOptionMatching,
  setPasswordAndSignIn,
  skipBrowserValidation,
  startServer,
  steps,
  visit,
} from './helpers.js';

const PASSWORD = 'a long enough admin password';

const INSTANCE = { product: 'jira-software', label: 'Jira Software', name: 'Acme Jira', url: 'https://acme-jira.example.net', edition: 'standard' };
const ADA = { name: 'Ada Lovelace', email: 'ada@acme.example' };
const GRACE = { name: 'Grace Hopper', email: 'grace@acme.example' };
const GROUP = { name: 'Engineering', description: 'People who build things' };
const XSS = { name: '<script>alert(1)</script>', email: 'xss@acme.example' };
const KEY_NAME = 'CI deploy';

// Where each console link leads, relative to /admin/orgs/<org_id>.
const NAV = [
  ['Overview', ''],
  ['Products', '/instances'],
  ['Accounts', '/accounts'],
  ['Groups', '/groups'],
  ['Product access', '/access'],
  ['API keys', '/api-keys'],
  ['Audit log', '/events'],
];

let dns;
let server;
let browser;
let page;
const ids = {}; // ids read from URLs as we go: ada, group, event

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
  server = await startServer('console', {
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
  await browser?.close();
  await server?.stop();
  await dns?.close();
}, { timeout: SETUP_TIMEOUT });

const step = steps('console', () => page);

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

/** The last path segment of the current URL once it matches `pattern` (e.g. an account id). */
async function idFromUrl(pattern) {
  await page.waitForURL(pattern);
  return new URL(page.url()).pathname.split('/').pop();
}

/** Visible text of the page without its navigation landmarks. */
async function textOutsideNav() {
  return page.evaluate(() => {
    let text = document.body.innerText;
    for (const nav of document.querySelectorAll('nav, [role="navigation"]')) text = text.replace(nav.innerText, ' ');
    return text;
  });
}

/** Account status shown on an account page: "active" or "deactivated" as a word of its own. */
const DEACTIVATED = /(^|[^.\w])deactivated\b/i;
const ACTIVE = /(^|[^.\w])active\b/i;

step('sign in with the set-password link', async () => {
  // The sign-in page, as a person first sees it.
  await visit(page, server.url('/login'));
  await screenshot(page, 'login');
  // Set the admin's password through the bootstrap link, then sign in.
  await setPasswordAndSignIn(page, server, PASSWORD);
});

step('the overview shows the org, its counts and the navigation', async () => {
  // h1 is the org name; counts and recent activity are there.
  await expectVisible(page, h1(page, ORG_NAME), `the h1 "${ORG_NAME}"`);
  const text = await textOutsideNav();
  for (const word of ['Accounts', 'Product instances', 'Groups']) {
    assert.ok(text.includes(word), `the overview shows the "${word}" count`);
  }
  assert.notEqual(await sectionText(page, 'Recent activity'), null, 'a "Recent activity" section (a heading)');
  // The "Main" navigation has every link, each to its page.
  for (const [name, suffix] of NAV) {
    const link = mainNav(page).getByRole('link', { name, exact: true });
    await expectVisible(page, link, `the navigation link "${name}"`);
    const href = new URL(await link.getAttribute('href'), server.baseURL);
    assert.equal(href.pathname, `/admin/orgs/${server.orgId}${suffix}`, `where "${name}" leads`);
  }
  await expectVisible(page, page.getByRole('button', { name: 'Sign out', exact: true }), 'the "Sign out" button');
  await screenshot(page, 'overview');
});

step('Products: a URL without https:// is refused', async () => {
  await openFromNav('Products');
  assert.equal(new URL(page.url()).pathname, `/admin/orgs/${server.orgId}/instances`);
  const form = formHeaded(page, 'Add a product instance');
  // The product select offers Jira Software (value jira-software) and Confluence.
  const product = field(form, 'Product');
  assert.equal((await product.locator('option[value="jira-software"]').innerText()).trim(), INSTANCE.label);
  assert.equal(await product.locator('option[value="confluence"]').count(), 1, 'Confluence is offered');
  // Submit http:// (server-side check, the browser's own URL check switched off).
  await skipBrowserValidation(form);
  await product.selectOption(INSTANCE.product);
  await field(form, 'Name').fill(INSTANCE.name);
  await field(form, 'URL').fill('http://acme-jira.example.net');
  await field(form, 'Edition').selectOption(INSTANCE.edition);
  await clickAndLoad(page, form.getByRole('button', { name: 'Add instance', exact: true }));
  await expectMessage(page, 'alert', 'https://');
});

step('Products: add a Jira Software instance', async () => {
  // Fill the form again (from the list page, whatever the error page kept).
  await visit(page, server.orgUrl('/instances'));
  const form = formHeaded(page, 'Add a product instance');
  await field(form, 'Product').selectOption(INSTANCE.product);
  await field(form, 'Name').fill(INSTANCE.name);
  await field(form, 'URL').fill(INSTANCE.url);
  await field(form, 'Edition').selectOption(INSTANCE.edition);
  await clickAndLoad(page, form.getByRole('button', { name: 'Add instance', exact: true }));
  await expectNoAlert('adding the instance');
  // The table lists it with its URL.
  await visit(page, server.orgUrl('/instances'));
  const row = rowsWith(page, INSTANCE.name);
  await expectVisible(page, row, `a table row for "${INSTANCE.name}"`);
  assert.ok((await row.first().innerText()).includes(INSTANCE.url), 'the row shows the URL');
  await screenshot(page, 'products');
});

step('Accounts: create Ada Lovelace and Grace Hopper', async () => {
  await openFromNav('Accounts');
  for (const person of [ADA, GRACE]) {
    // Fill "Create account" and submit.
    await visit(page, server.orgUrl('/accounts'));
    const form = formHeaded(page, 'Create account');
    await field(form, 'Email').fill(person.email);
    await field(form, 'Display name').fill(person.name);
    await clickAndLoad(page, form.getByRole('button', { name: 'Create account', exact: true }));
    await expectNoAlert(`creating ${person.email}`);
  }
  // Both are listed, the display name a link.
  await visit(page, server.orgUrl('/accounts'));
  for (const person of [ADA, GRACE]) {
    await expectVisible(page, dataRows(page).getByRole('link', { name: person.name, exact: true }), `a link "${person.name}"`);
  }
  await screenshot(page, 'accounts');
});

step('Accounts: search matches a name or an email', async () => {
  const search = async (q) => {
    await field(page, 'Search').fill(q);
    await clickAndLoad(page, page.getByRole('button', { name: 'Search', exact: true }));
  };
  // By (part of) the name.
  await search('Lovelace');
  await expectVisible(page, rowsWith(page, ADA.email), 'Ada in the results');
  assert.equal(await rowsWith(page, GRACE.email).count(), 0, 'Grace is not a match for "Lovelace"');
  // By email.
  await search(GRACE.email);
  await expectVisible(page, rowsWith(page, GRACE.email), 'Grace in the results');
  assert.equal(await rowsWith(page, ADA.email).count(), 0, 'Ada is not a match for Grace\'s email');
});

step('Groups: create Engineering', async () => {
  await openFromNav('Groups');
  const form = formHeaded(page, 'Create group');
  await field(form, 'Name').fill(GROUP.name);
  await field(form, 'Description').fill(GROUP.description);
  await clickAndLoad(page, form.getByRole('button', { name: 'Create group', exact: true }));
  await expectNoAlert('creating the group');
  // Listed, the name a link to the group page.
  await visit(page, server.orgUrl('/groups'));
  await expectVisible(page, dataRows(page).getByRole('link', { name: GROUP.name, exact: true }), `a link "${GROUP.name}"`);
  await screenshot(page, 'groups');
});

step('Groups: add Ada to Engineering', async () => {
  // Open the group page.
  await clickAndLoad(page, dataRows(page).getByRole('link', { name: GROUP.name, exact: true }));
  ids.group = await idFromUrl((u) => u.pathname.startsWith(`/admin/orgs/${server.orgId}/groups/`));
  await expectVisible(page, h1(page, GROUP.name), `the h1 "${GROUP.name}"`);
  // "Add member": pick "Ada Lovelace <ada@acme.example>".
  const form = formHeaded(page, 'Add member');
  await field(form, 'Account').selectOption({ label: `${ADA.name} <${ADA.email}>` });
  await clickAndLoad(page, form.getByRole('button', { name: 'Add member', exact: true }));
  await expectNoAlert('adding the member');
  // The members table lists her.
  await visit(page, server.orgUrl(`/groups/${ids.group}`));
  await expectVisible(page, rowsWith(page, ADA.email).or(rowsWith(page, ADA.name)), 'Ada in the members table');
  await screenshot(page, 'group-detail');
});

step('Product access: grant Engineering the user role on Acme Jira', async () => {
  await openFromNav('Product access');
  const form = formHeaded(page, 'Grant access');
  // Instance and group chosen; the account select left on its empty first option.
  await selectOptionMatching(field(form, 'Product instance'), INSTANCE.name);
  const account = field(form, 'Account');
  assert.equal(await account.locator('option').first().getAttribute('value'), '', 'Account starts with an empty option');
  assert.equal(await account.inputValue(), '', 'no account chosen');
  const group = field(form, 'Group');
  assert.equal(await group.locator('option').first().getAttribute('value'), '', 'Group starts with an empty option');
  await selectOptionMatching(group, GROUP.name);
  await field(form, 'Role').selectOption('user');
  await clickAndLoad(page, form.getByRole('button', { name: 'Grant access', exact: true }));
  await expectNoAlert('granting access');
  // The grants table shows the group on the instance.
  await visit(page, server.orgUrl('/access'));
  const row = rowsWith(page, INSTANCE.name).filter({ hasText: GROUP.name });
  await expectVisible(page, row, `a grant row for ${GROUP.name} on ${INSTANCE.name}`);
  await screenshot(page, 'access');
});

step("Ada's account page shows her group and product access", async () => {
  // From the accounts list, follow her name.
  await visit(page, server.orgUrl('/accounts'));
  await clickAndLoad(page, dataRows(page).getByRole('link', { name: ADA.name, exact: true }));
  ids.ada = await idFromUrl((u) => u.pathname.startsWith(`/admin/orgs/${server.orgId}/accounts/`));
  await expectVisible(page, h1(page, ADA.name), `the h1 "${ADA.name}"`);
  const text = await textOutsideNav();
  assert.ok(text.includes(ADA.email), 'the email is shown');
  assert.match(text, ACTIVE, 'the status is "active"');
  assert.doesNotMatch(text, DEACTIVATED, 'not deactivated');
  // The "Groups" section names Engineering; "Product access" names the instance (via the group).
  const groups = await sectionText(page, 'Groups');
  assert.ok(groups?.includes(GROUP.name), `the Groups section lists ${GROUP.name}: ${groups}`);
  const access = await sectionText(page, 'Product access');
  assert.ok(access?.includes(INSTANCE.name), `the Product access section lists ${INSTANCE.name}: ${access}`);
  assert.match(access, /\buser\b/i, 'with the role user');
  await screenshot(page, 'account-detail');
});

step('deactivate and reactivate Ada', async () => {
  // Deactivate: status "deactivated", the button becomes "Reactivate".
  await clickAndLoad(page, page.getByRole('button', { name: 'Deactivate', exact: true }));
  await expectVisible(page, page.getByRole('button', { name: 'Reactivate', exact: true }), 'the "Reactivate" button');
  assert.match(await textOutsideNav(), DEACTIVATED, 'the status is "deactivated"');
  await screenshot(page, 'account-deactivated');
  // Reactivate: back to "active" and "Deactivate".
  await clickAndLoad(page, page.getByRole('button', { name: 'Reactivate', exact: true }));
  await expectVisible(page, page.getByRole('button', { name: 'Deactivate', exact: true }), 'the "Deactivate" button');
  assert.doesNotMatch(await textOutsideNav(), DEACTIVATED, 'no longer deactivated');
  assert.match(await textOutsideNav(), ACTIVE, 'the status is "active"');
});

step('API keys: create one, see its secret once, revoke it', async () => {
  await openFromNav('API keys');
  const form = formHeaded(page, 'Create API key');
  await field(form, 'Name').fill(KEY_NAME);
  await field(form, 'Expires in days').fill('30');
  await clickAndLoad(page, form.getByRole('button', { name: 'Create key', exact: true }));
  await expectNoAlert('creating the key');

  // The secret, shown once.
  const secretBox = page.getByTestId('new-key-secret');
  await expectVisible(page, secretBox, 'the new key secret');
  const secret = (await secretBox.innerText()).trim();
  assert.match(secret, /^ghk_\S+$/, 'the secret starts with ghk_');
  const row = rowsWith(page, KEY_NAME);
  await expectVisible(page, row.getByRole('button', { name: 'Revoke', exact: true }), `a "Revoke" button for ${KEY_NAME}`);
  await screenshot(page, 'api-keys');

  // It works against the REST API.
  const api = server.url(`/api/v1/orgs/${server.orgId}`);
  const call = () => fetch(api, { headers: { Authorization: `Bearer ${secret}` } });
  assert.equal((await call()).status, 200, 'the new key is accepted by the API');

  // Opening the page again (a GET, so a browser reload of a POST answer cannot resubmit the
  // form) no longer shows it.
  await visit(page, server.orgUrl('/api-keys'));
  assert.equal(await page.getByTestId('new-key-secret').count(), 0, 'no secret after a reload');
  assert.ok(!(await pageText(page)).includes(secret), 'the secret text is gone');

  // Revoke: the key stops working and its row no longer offers "Revoke".
  await clickAndLoad(page, rowsWith(page, KEY_NAME).getByRole('button', { name: 'Revoke', exact: true }));
  await expectNoAlert('revoking the key');
  await visit(page, server.orgUrl('/api-keys'));
  assert.equal(
    await rowsWith(page, KEY_NAME).getByRole('button', { name: 'Revoke', exact: true }).count(),
    0,
    'a revoked key has no "Revoke" button (or is no longer listed)',
  );
  assert.equal((await call()).status, 401, 'the revoked key is refused by the API');
});

step('Audit log: the console actions are there', async () => {
  await openFromNav('Audit log');
  // The columns.
  for (const col of ['Time', 'Action', 'Actor', 'Targets']) {
    await expectVisible(page, page.getByRole('columnheader', { name: col, exact: true }), `the column "${col}"`);
  }
  // One row (at least) per action we caused.
  for (const action of ['instance.created', 'account.created', 'group.created', 'group.member_added', 'product_access.granted']) {
    await expectVisible(page, rowsWith(page, action), `a row for ${action}`);
  }
  // The filter form's fields.
  for (const label of ['From', 'To']) {
    assert.equal(await field(page, label).getAttribute('type'), 'datetime-local', `"${label}" is datetime-local`);
  }
  await expectVisible(page, field(page, 'Search'), 'the "Search" input');
  await screenshot(page, 'audit-log');
});

step('Audit log: filter by action and open the details', async () => {
  // Only group.member_added rows after filtering.
  await selectOptionMatching(field(page, 'Action'), 'group.member_added');
  await clickAndLoad(page, page.getByRole('button', { name: 'Filter', exact: true }));
  const rows = dataRows(page);
  await expectVisible(page, rows, 'at least one event row');
  const texts = await rows.allInnerTexts();
  assert.ok(texts.length >= 1);
  for (const t of texts) assert.ok(t.includes('group.member_added'), `only group.member_added rows, got: ${t}`);

  // Details: the event as JSON in a <pre>, with the actor's email.
  await clickAndLoad(page, rows.first().getByRole('link', { name: 'Details', exact: true }));
  ids.event = await idFromUrl((u) => u.pathname.startsWith(`/admin/orgs/${server.orgId}/events/`));
  const json = await page.locator('pre').first().innerText();
  let event;
  assert.doesNotThrow(() => (event = JSON.parse(json)), 'the <pre> holds JSON');
  const flat = JSON.stringify(event);
  assert.ok(flat.includes(ADMIN_EMAIL), `the JSON names the actor ${ADMIN_EMAIL}: ${flat}`);
  assert.ok(flat.includes('group.member_added'), 'the JSON is that event');
  await screenshot(page, 'event-detail');
});

step('Audit log: export CSV and JSON lines', async () => {
  await visit(page, server.orgUrl('/events'));
  await fs.mkdir(DOWNLOAD_DIR, { recursive: true });

  /** Clicks a link that downloads a file; returns the file's text. */
  const download = async (linkName, saveAs) => {
    const [file] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: linkName, exact: true }).click(),
    ]);
    const target = path.join(DOWNLOAD_DIR, saveAs);
    await file.saveAs(target);
    return fs.readFile(target, 'utf8');
  };

  // CSV: the header, then our events.
  const csv = await download('Export CSV', 'audit.csv');
  assert.ok(csv.split(/\r?\n/)[0].startsWith('id,occurred_at,action'), `CSV header: ${csv.split(/\r?\n/)[0]}`);
  assert.ok(csv.includes('group.member_added'), 'the CSV has the events');

  // JSON lines: one JSON object per line.
  const jsonl = await download('Export JSON lines', 'audit.jsonl');
  const lines = jsonl.split('\n').filter((l) => l.trim() !== '');
  assert.ok(lines.length >= 5, `at least our 5 events, got ${lines.length} lines`);
  for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `a JSON line: ${line}`);
  assert.ok(jsonl.includes('product_access.granted'), 'the JSON lines have the events');
});

step('CSRF: a tampered form is refused with 403', async () => {
  // Fill "Create group", then change the hidden csrf value before submitting.
  await visit(page, server.orgUrl('/groups'));
  const form = formHeaded(page, 'Create group');
  await field(form, 'Name').fill('Tampered');
  const csrf = form.locator('input[name="csrf"]');
  assert.equal(await csrf.getAttribute('type'), 'hidden', 'the form carries a hidden csrf input');
  await csrf.evaluate((el) => {
    el.value = 'tampered-' + el.value;
  });
  const response = page.waitForResponse((r) => r.request().method() === 'POST' && r.frame() === page.mainFrame());
  await clickAndLoad(page, form.getByRole('button', { name: 'Create group', exact: true }));
  assert.equal((await response).status(), 403);
  assert.ok(
    (await pageText(page)).includes('The form expired or was not sent from Gatehouse'),
    'the 403 page explains why',
  );
  // Nothing was created.
  await visit(page, server.orgUrl('/groups'));
  assert.equal(await rowsWith(page, 'Tampered').count(), 0, 'no "Tampered" group');
});

step('a <script> display name renders as text', async () => {
  // Create the account.
  await visit(page, server.orgUrl('/accounts'));
  const form = formHeaded(page, 'Create account');
  await field(form, 'Email').fill(XSS.email);
  await field(form, 'Display name').fill(XSS.name);
  await clickAndLoad(page, form.getByRole('button', { name: 'Create account', exact: true }));
  await expectNoAlert('creating the account');
  // The list shows the literal text; its page has it as the h1.
  await visit(page, server.orgUrl('/accounts'));
  assert.ok((await page.textContent('body')).includes(XSS.name), 'the list shows the literal <script> text');
  await clickAndLoad(page, dataRows(page).getByRole('link', { name: XSS.name, exact: true }));
  await expectVisible(page, h1(page, XSS.name), 'the literal <script> text as the h1');
  assert.ok((await page.textContent('body')).includes(XSS.name));
  // Also where it is an option label (the group's "Add member" select).
  await visit(page, server.orgUrl(`/groups/${ids.group}`));
  assert.ok((await page.textContent('body')).includes(XSS.name), 'the option label shows the literal text');
  // No script ran anywhere along the way.
  assert.deepEqual(
    browser.dialogs.filter((d) => d.type !== 'confirm'),
    [],
    'no alert() fired',
  );
});

step("another org's pages answer 404", async () => {
  const other = randomUUID();
  for (const suffix of ['', '/accounts', '/events']) {
    await visit(page, server.url(`/admin/orgs/${other}${suffix}`), 404);
  }
  // And our own still answers (the session is fine).
  await visit(page, server.orgUrl());
});
