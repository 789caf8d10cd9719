// The "Single sign-on" console pages, end to end in headless Chromium: an admin opens the page
// from the navigation, adds an OpenID Connect provider for the org's verified domain through
// the "Add OIDC provider" form (refused first: its only admin would have no way in without the
// provider, until they name themself a break-glass admin), lands on its page and reads the
// redirect URI to register with the IdP (the same the admin API serves), then sees it listed as
// enforced. A name with markup
// stays text (no dialog ever opens).
//
// Acme verifies acme.example through the API against tests/dns-server.js before the browser
// starts: a provider signs in only the organization's verified domains.
//
// The steps run in order against one fresh server and depend on each other.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { startDnsServer } from './dns-server.js';
import {
  SETUP_TIMEOUT,
  clickAndLoad,
  expectMessage,
  expectVisible,
  field,
  formHeaded,
  freePort,
  h1,
  launchBrowser,
  mainNav,
  rowsWith,
  screenshot,
  setPasswordAndSignIn,
  startServer,
  steps,
  visit,
} from './helpers.js';

const PASSWORD = 'a long enough admin password';
const DOMAIN = 'acme.example';
const IDP = {
  name: 'Acme <b>Okta</b>',
  issuer: 'https://acme.okta.example',
  clientId: 'gatehouse-console',
  secret: 'a client secret from the IdP',
};

let dns;
let server;
let browser;
let page;
const ids = {}; // the provider's id, read from its URL

/** A call to the org's admin API with the bootstrap key. */
async function api(method, p, body) {
  const res = await fetch(server.url(`/api/v1/orgs/${server.orgId}${p}`), {
    method,
    headers: { authorization: `Bearer ${server.boot.api_key}`, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  const json = await res.json();
  assert.ok(res.ok, `${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

before(async () => {
  dns = await startDnsServer();
  dns.setA(DOMAIN, '127.0.0.1');
  server = await startServer('sso', {
    env: {
      GATEHOUSE_DNS_SERVERS: dns.address,
      GATEHOUSE_ALLOW_PRIVATE_ADDRESSES: 'true',
      GATEHOUSE_DOMAIN_HTTPS_PORT: String(await freePort()),
    },
  });
  const added = await api('POST', '/domains', { name: DOMAIN });
  dns.setTxt(DOMAIN, added.txt_record);
  const checked = await api('POST', `/domains/${added.id}/verify`);
  assert.equal(checked.domain.status, 'verified', `${DOMAIN} is verified`);
  browser = await launchBrowser();
  page = browser.page;
}, { timeout: SETUP_TIMEOUT });

after(async () => {
  await browser?.close();
  await server?.stop();
  await dns?.close();
}, { timeout: SETUP_TIMEOUT });

const step = steps('sso', () => page);

step('sign in with the set-password link', async () => {
  await setPasswordAndSignIn(page, server, PASSWORD);
});

step('"Single sign-on" in the navigation opens the page, with no provider yet', async () => {
  await clickAndLoad(page, mainNav(page).getByRole('link', { name: 'Single sign-on', exact: true }));
  await expectVisible(page, h1(page, 'Single sign-on'), 'the h1 "Single sign-on"');
  assert.equal(new URL(page.url()).pathname, `/admin/orgs/${server.orgId}/identity-providers`);
  await expectVisible(page, page.getByText('No identity providers yet.'), 'the empty list');
  await expectVisible(page, formHeaded(page, 'Add SAML provider'), 'the "Add SAML provider" form');
});

/** Fills the "Add OIDC provider" form with IDP; answers the form. */
async function fillProvider() {
  const form = formHeaded(page, 'Add OIDC provider');
  await field(form, 'Name').fill(IDP.name);
  await form.getByRole('checkbox', { name: DOMAIN, exact: true }).check();
  await field(form, 'Issuer').fill(IDP.issuer);
  await field(form, 'Client id').fill(IDP.clientId);
  await field(form, 'Client secret').fill(IDP.secret);
  return form;
}

step('add an OIDC provider through its form and read its redirect URI', async () => {
  const form = await fillProvider();
  await clickAndLoad(page, form.getByRole('button', { name: 'Add OIDC provider', exact: true }));
  // The only admin's account is managed (acme.example is verified): enforcing the provider
  // would leave nobody a way in without it. The page says so, and nothing is added.
  await expectMessage(page, 'alert', 'would leave no admin of the organization a way to sign in');
  await expectVisible(page, page.getByText('No identity providers yet.'), 'still no provider');
  const glass = formHeaded(page, 'Break-glass admins');
  await glass.getByRole('checkbox', { name: server.adminEmail }).check();
  await clickAndLoad(page, glass.getByRole('button', { name: 'Save break-glass admins', exact: true }));
  const again = await fillProvider();
  await clickAndLoad(page, again.getByRole('button', { name: 'Add OIDC provider', exact: true }));
  await expectMessage(page, 'status', 'Identity provider added.');
  await expectVisible(page, h1(page, IDP.name), 'the provider\'s name as the h1, as text');
  const path = new URL(page.url()).pathname;
  assert.match(path, new RegExp(`^/admin/orgs/${server.orgId}/identity-providers/[0-9a-f-]{36}$`));
  ids.idp = path.split('/').pop();

  const shown = (await page.getByTestId('redirect-uri').innerText()).trim();
  assert.equal(shown, `${server.baseURL}/oidc/${ids.idp}/callback`);
  const served = await api('GET', `/identity-providers/${ids.idp}`);
  assert.equal(shown, served.redirect_uri, 'the page shows what the admin API serves');
  assert.equal(served.client_secret_set, true);
  assert.deepEqual(served.domains, [DOMAIN]);
  assert.ok(!(await page.content()).includes(IDP.secret), 'the secret is never on the page');
  const test = await page.getByRole('link', { name: 'Test sign-in', exact: true }).getAttribute('href');
  assert.equal(test, `/oidc/${ids.idp}/login?test=1&next=/admin/orgs/${server.orgId}/identity-providers/${ids.idp}`);
  await screenshot(page, 'sso-provider');
});

step('the list shows the provider, enforced, and no dialog ever opened', async () => {
  await visit(page, server.orgUrl('/identity-providers'));
  const row = rowsWith(page, IDP.name);
  await expectVisible(page, row, `a row for ${IDP.name}`);
  const text = await row.innerText();
  for (const word of ['OpenID Connect', DOMAIN, 'enforced']) {
    assert.ok(text.includes(word), `the row says ${word}: ${text}`);
  }
  assert.deepEqual(browser.dialogs, [], 'no markup from a name ran');
  assert.deepEqual(browser.pageErrors, []);
  await screenshot(page, 'sso-list');
});
