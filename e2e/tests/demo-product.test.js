// The demo product's round trip through Gatehouse's OpenID Connect provider: the admin sets a
// password; a confidential client is registered through the admin API; the demo product
// (examples/demo-product) runs against it; in Chromium, "Sign in with Gatehouse" leads to
// Gatehouse's sign-in and back to the demo showing the admin's email and org id; the tokens
// refresh; "Sign out" ends the demo's session (RP-initiated logout) and lands on the demo signed
// out; after signing in again, signing out of Gatehouse itself ends the demo's session too
// (back-channel logout).
//
// The demo binary is $DEMO_BIN, else $CARGO_TARGET_DIR/debug/demo-product, else
// target/debug/demo-product at the repository root (cargo build -p demo-product); this test
// never builds it. The steps run in order against one fresh server and depend on each other.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before } from 'node:test';
import {
  E2E_DIR,
  LOG_DIR,
  NAV_TIMEOUT,
  SETUP_TIMEOUT,
  clickAndLoad,
  expectMessage,
  expectVisible,
  field,
  freePort,
  launchBrowser,
  screenshot,
  sectionText,
  startServer,
  steps,
  submitNewPassword,
  visit,
} from './helpers.js';

const ADMIN_PASSWORD = 'correct horse battery staple';
const DEMO_HEALTH_TIMEOUT = 90_000; // the demo retries discovery for about a minute
const BACKCHANNEL_TIMEOUT = 15_000; // the provider may send back-channel logouts after answering

let server;
let browser;
let page;
let demo; // { url, child, stop() }
let client; // { client_id, client_secret }

/** The demo-product binary: $DEMO_BIN, else $CARGO_TARGET_DIR/debug/demo-product, else ../target/debug/demo-product. */
function demoBin() {
  if (process.env.DEMO_BIN) return path.resolve(process.env.DEMO_BIN);
  if (process.env.CARGO_TARGET_DIR) return path.resolve(process.env.CARGO_TARGET_DIR, 'debug', 'demo-product');
  return path.resolve(E2E_DIR, '..', 'target', 'debug', 'demo-product');
}

/** POST a JSON body to the org's admin API with the bootstrap API key; returns { status, json }. */
async function adminApi(method, p, body) {
  const res = await fetch(server.url(`/api/v1/orgs/${server.orgId}${p}`), {
    method,
    headers: { authorization: `Bearer ${server.boot.api_key}`, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // Left null: the assertion below shows the text.
  }
  return { status: res.status, json, text };
}

/**
 * Starts the demo product on 127.0.0.1:<port> as the registered client and waits for /healthz.
 * Its output goes to artifacts/e2e-logs/demo-product-demo.log.
 */
async function startDemo(port, creds) {
  const bin = demoBin();
  try {
    await fs.access(bin, fs.constants.X_OK);
  } catch {
    throw new Error(`demo-product binary not found or not executable at ${bin}; build it first (cargo build -p demo-product) or set DEMO_BIN`);
  }
  await fs.mkdir(LOG_DIR, { recursive: true });
  const url = `http://127.0.0.1:${port}`;
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('DEMO_')) env[k] = v; // only this test's own settings
  }
  Object.assign(env, {
    NO_COLOR: '1',
    RUST_LOG: 'info', // the back-channel logout step reads the demo's log
    DEMO_ISSUER: server.baseURL,
    DEMO_CLIENT_ID: creds.client_id,
    DEMO_CLIENT_SECRET: creds.client_secret,
    DEMO_LISTEN: `127.0.0.1:${port}`,
    DEMO_PUBLIC_URL: url,
  });
  const log = createWriteStream(path.join(LOG_DIR, 'demo-product-demo.log'), { flags: 'w' });
  let tail = '';
  const child = spawn(bin, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk) => {
      log.write(chunk);
      tail = (tail + chunk.toString()).slice(-4_000);
    });
  }
  const exited = new Promise((r) => child.once('exit', r));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(killer);
    }
    await new Promise((r) => log.end(r));
  };

  const deadline = Date.now() + DEMO_HEALTH_TIMEOUT;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`demo-product exited early (code ${child.exitCode}, signal ${child.signalCode}):\n${tail}`);
    }
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return { url, child, stop, output: () => tail };
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = e.cause?.code || e.message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`demo-product did not answer GET /healthz within ${DEMO_HEALTH_TIMEOUT} ms (last: ${last}):\n${tail}`);
}

/** Whether the browser is on the demo's home page. */
function onDemoHome(u) {
  return u.origin === demo.url && u.pathname === '/';
}

/** Asserts the demo's page shows the admin signed in with the org's id. */
async function expectDemoSignedIn() {
  await page.waitForURL(onDemoHome, { timeout: NAV_TIMEOUT });
  await expectVisible(page, page.locator('#email'), 'the signed-in email on the demo');
  assert.equal((await page.locator('#email').innerText()).trim(), server.adminEmail);
  assert.equal((await page.locator('#org-id').innerText()).trim(), server.orgId);
  assert.match((await page.locator('#sub').innerText()).trim(), /\S/, 'a sub is shown');
  assert.notEqual((await page.locator('#sub').innerText()).trim(), server.adminEmail, 'sub is never the email');
}

/** Asserts the demo's page shows the signed-out state. */
async function expectDemoSignedOut() {
  await page.waitForURL(onDemoHome, { timeout: NAV_TIMEOUT });
  await expectVisible(
    page,
    page.getByRole('button', { name: 'Sign in with Gatehouse', exact: true }),
    'the demo\'s "Sign in with Gatehouse" button',
  );
  assert.equal(await page.locator('#email').count(), 0, 'no one is shown signed in');
}

/**
 * From the demo's signed-out page: "Sign in with Gatehouse", then Gatehouse's two-step
 * sign-in when Gatehouse has no session for this browser (with one, it answers at once).
 */
async function signInThroughGatehouse() {
  await clickAndLoad(page, page.getByRole('button', { name: 'Sign in with Gatehouse', exact: true }));
  const url = new URL(page.url());
  if (url.origin === server.baseURL && url.pathname === '/login') {
    await field(page, 'Email').fill(server.adminEmail);
    await clickAndLoad(page, page.getByRole('button', { name: 'Continue', exact: true }));
    await field(page, 'Password').fill(ADMIN_PASSWORD);
    await clickAndLoad(page, page.getByRole('button', { name: 'Sign in', exact: true }));
  }
  await expectDemoSignedIn();
}

before(async () => {
  // The demo product listens on loopback: Gatehouse may post its back-channel logouts there.
  server = await startServer('demo-product', { env: { GATEHOUSE_ALLOW_PRIVATE_ADDRESSES: 'true' } });
  browser = await launchBrowser();
  page = browser.page;
}, { timeout: SETUP_TIMEOUT });

after(async () => {
  await demo?.stop();
  await browser?.close();
  await server?.stop();
}, { timeout: SETUP_TIMEOUT });

const step = steps('demo-product', () => page);

step('the admin sets a password (and is not signed in yet)', async () => {
  assert.ok(server.setPasswordUrl, `bootstrap printed no admin.set_password_url: ${JSON.stringify(server.boot)}`);
  await visit(page, server.setPasswordUrl);
  await submitNewPassword(page, ADMIN_PASSWORD);
  await page.waitForURL((u) => u.pathname === '/login', { timeout: NAV_TIMEOUT });
  await expectMessage(page, 'status', 'Your password is set');
});

step('the provider publishes its discovery document', async () => {
  const res = await fetch(server.url('/.well-known/openid-configuration'), { signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200, 'discovery answers 200');
  const doc = await res.json();
  assert.equal(doc.issuer, server.baseURL);
  assert.equal(doc.authorization_endpoint, `${server.baseURL}/oauth2/authorize`);
  assert.ok(doc.end_session_endpoint, 'RP-initiated logout is offered');
});

step('a confidential client is registered for the demo through the admin API', async () => {
  // The demo is one of the org's products: the admin (an account the org does not manage, its
  // domain unverified) may sign in to it once given access to one of the org's instances.
  const instance = await adminApi('POST', '/instances', {
    product: 'confluence',
    name: 'Demo wiki',
    url: 'https://demo-wiki.acme.example',
    edition: 'free',
  });
  assert.equal(instance.status, 201, `POST /instances: ${instance.status} ${instance.text}`);
  const access = await adminApi('POST', '/access', {
    instance_id: instance.json.id,
    account_id: server.boot.admin.account_id,
    role: 'user',
  });
  assert.equal(access.status, 201, `POST /access: ${access.status} ${access.text}`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const { status, json, text } = await adminApi('POST', '/clients', {
    name: 'Demo',
    redirect_uris: [`${base}/callback`],
    public: false,
    grant_types: ['authorization_code', 'refresh_token'],
    post_logout_redirect_uris: [`${base}/`],
    backchannel_logout_uri: `${base}/backchannel-logout`,
  });
  assert.equal(status, 201, `POST /clients: ${status} ${text}`);
  assert.ok(json?.client_id, `a client_id: ${text}`);
  assert.ok(json?.client_secret, `a client_secret for a confidential client: ${text}`);
  client = json;
  demo = await startDemo(port, client);
  // The demo prints the three URIs a newcomer registers; they are the ones registered above.
  for (const uri of [`${base}/callback`, `${base}/`, `${base}/backchannel-logout`]) {
    assert.ok(demo.output().includes(uri), `the demo printed ${uri}:\n${demo.output()}`);
  }
});

step('"Sign in with Gatehouse" leads through Gatehouse\'s sign-in back to the demo', async () => {
  await visit(page, `${demo.url}/`);
  await expectDemoSignedOut();
  await screenshot(page, 'demo-product-signed-out');
  await clickAndLoad(page, page.getByRole('button', { name: 'Sign in with Gatehouse', exact: true }));
  // Gatehouse's own two-step sign-in, not the demo's.
  await page.waitForURL((u) => u.origin === server.baseURL && u.pathname === '/login', { timeout: NAV_TIMEOUT });
  await field(page, 'Email').fill(server.adminEmail);
  await clickAndLoad(page, page.getByRole('button', { name: 'Continue', exact: true }));
  await field(page, 'Password').fill(ADMIN_PASSWORD);
  await clickAndLoad(page, page.getByRole('button', { name: 'Sign in', exact: true }));
  await expectDemoSignedIn();
  const idClaims = await sectionText(page, 'ID token claims');
  assert.ok(idClaims?.includes(`"org_id": "${server.orgId}"`), `the ID token carries org_id:\n${idClaims}`);
  assert.ok(idClaims?.includes(`"aud"`) && idClaims.includes(client.client_id), 'the ID token is for this client');
  const atClaims = await sectionText(page, 'Access token claims');
  assert.ok(atClaims?.includes(`"client_id": "${client.client_id}"`), `the access token names the client:\n${atClaims}`);
  await screenshot(page, 'demo-product-signed-in');
});

step('"Refresh tokens" shows new tokens for the same person', async () => {
  const before = await sectionText(page, 'Access token claims');
  await clickAndLoad(page, page.getByRole('button', { name: 'Refresh tokens', exact: true }));
  await expectMessage(page, 'status', 'The tokens were refreshed.');
  await expectDemoSignedIn();
  const afterRefresh = await sectionText(page, 'Access token claims');
  assert.notEqual(afterRefresh, before, 'a new access token (its jti, iat and exp differ)');
});

step('"Sign out" ends the demo session at Gatehouse and lands on the demo signed out', async () => {
  await clickAndLoad(page, page.getByRole('button', { name: 'Sign out', exact: true }));
  await expectDemoSignedOut();
  await screenshot(page, 'demo-product-after-sign-out');
  // Reloading does not bring the session back.
  await visit(page, `${demo.url}/`);
  await expectDemoSignedOut();
});

step('signed in again, signing out of Gatehouse signs the demo out too (back-channel logout)', async () => {
  await signInThroughGatehouse();
  // Sign out of Gatehouse itself, from its account page (the page's own "Sign out", not a
  // session row's).
  await visit(page, server.url('/account'));
  await clickAndLoad(page, page.locator('form[action="/logout"]').getByRole('button', { name: 'Sign out', exact: true }));
  await page.waitForURL((u) => u.origin === server.baseURL && u.pathname === '/login', { timeout: NAV_TIMEOUT });
  // The demo hears it from Gatehouse, not from the browser: poll its page.
  const deadline = Date.now() + BACKCHANNEL_TIMEOUT;
  for (;;) {
    await visit(page, `${demo.url}/`);
    if ((await page.locator('#email').count()) === 0) break;
    if (Date.now() > deadline) {
      throw new Error(`the demo still shows a session ${BACKCHANNEL_TIMEOUT} ms after signing out of Gatehouse; demo log:\n${demo.output()}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await expectDemoSignedOut();
  assert.match(demo.output(), /back-channel logout ended=[1-9]/, 'the demo logged the back-channel logout');
  await screenshot(page, 'demo-product-after-gatehouse-sign-out');
});
