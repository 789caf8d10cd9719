// Shared helpers for the Gatehouse browser tests.
//
// Each test file calls startServer() once (a fresh data dir, a fresh org "Acme" and a fresh
// `gatehouse serve` on a free loopback port) and launchBrowser() once (Debian's Chromium,
// headless, with a throwaway profile). Nothing here builds the binary: GATEHOUSE_BIN must
// point at one that already exists.

import { spawn, execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const E2E_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ARTIFACTS_DIR = path.resolve(E2E_DIR, '..', 'artifacts');
export const SCREENSHOT_DIR = path.join(ARTIFACTS_DIR, 'screenshots');
export const LOG_DIR = path.join(ARTIFACTS_DIR, 'e2e-logs');
export const DOWNLOAD_DIR = path.join(ARTIFACTS_DIR, 'downloads');

export const NAV_TIMEOUT = 15_000; // page.goto, clicks that navigate, waitForURL
export const ACTION_TIMEOUT = 10_000; // fill, click, waitFor on a locator
const HEALTH_TIMEOUT = 60_000; // a debug build applying migrations on a cold disk can be slow
const STOP_TIMEOUT = 10_000;
export const STEP_TIMEOUT = 120_000; // a safety net per test step; the waits above fail sooner
export const SETUP_TIMEOUT = 180_000; // before/after hooks: server start (3 tries) and browser launch

export const ORG_NAME = 'Acme';
export const ADMIN_EMAIL = 'admin@acme.example';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Servers started with { host: 'localhost' } listen on 127.0.0.1 only.
  '--host-resolver-rules=MAP localhost 127.0.0.1',
];

/** The gatehouse binary: $GATEHOUSE_BIN, else $CARGO_TARGET_DIR/debug/gatehouse, else ../target/debug/gatehouse. */
export function gatehouseBin() {
  if (process.env.GATEHOUSE_BIN) return path.resolve(process.env.GATEHOUSE_BIN);
  if (process.env.CARGO_TARGET_DIR) return path.resolve(process.env.CARGO_TARGET_DIR, 'debug', 'gatehouse');
  return path.resolve(E2E_DIR, '..', 'target', 'debug', 'gatehouse');
}

/** A port that was free a moment ago: bind port 0 on loopback, read the port, close. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The environment for the gatehouse child processes: ours, minus every GATEHOUSE_* setting that
 * could point the server elsewhere (a config file, a PostgreSQL URL, ...), plus the given ones.
 */
function serverEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('GATEHOUSE_')) env[k] = v;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

function runBootstrap(bin, env, cwd) {
  const args = ['bootstrap', '--org-name', ORG_NAME, '--admin-email', ADMIN_EMAIL];
  return new Promise((resolve, reject) => {
    execFile(bin, args, { env, cwd, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`gatehouse bootstrap failed (${err.message})\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        return;
      }
      // The command prints exactly one JSON object (possibly pretty-printed) on stdout.
      const text = stdout.trim();
      try {
        resolve(JSON.parse(text));
      } catch (e) {
        reject(new Error(`gatehouse bootstrap printed something that is not one JSON object: ${e.message}\n${text}`));
      }
    });
  });
}

async function waitForHealthy(baseURL, child, logTail) {
  const deadline = Date.now() + HEALTH_TIMEOUT;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`gatehouse serve exited early (code ${child.exitCode}, signal ${child.signalCode}):\n${logTail()}`);
    }
    try {
      const res = await fetch(`${baseURL}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = e.cause?.code || e.message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gatehouse serve did not answer GET /healthz with 200 within ${HEALTH_TIMEOUT} ms (last: ${last}):\n${logTail()}`);
}

function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM'); // the server drains in-flight requests and exits on SIGTERM
  });
}

/**
 * Starts a fresh Gatehouse: temp data dir, `gatehouse bootstrap` (org "Acme", admin
 * admin@acme.example), then `gatehouse serve` on 127.0.0.1:<free port>, and waits for /healthz.
 *
 * Returns { baseURL, port, dataDir, boot, orgId, adminEmail, setPasswordUrl, url(path), stop() }.
 * `label` names the server log written to artifacts/e2e-logs/<label>-server.log.
 *
 * `options.env`: extra environment variables for both `bootstrap` and `serve` (e.g.
 * GATEHOUSE_DNS_SERVERS). They cannot replace the data dir, listen address or public URL,
 * which are this server's own.
 * `options.host`: the public URL's host, `127.0.0.1` unless given (`localhost` for WebAuthn,
 * which needs a host name; the server still listens on 127.0.0.1).
 */
export async function startServer(label = 'server', options = {}) {
  const extraEnv = options.env ?? {};
  for (const [k, v] of Object.entries(extraEnv)) {
    if (typeof v !== 'string') throw new Error(`startServer(): env ${k} must be a string, got ${typeof v}`);
  }
  const bin = gatehouseBin();
  try {
    await fs.access(bin, fs.constants.X_OK);
  } catch {
    throw new Error(`gatehouse binary not found or not executable at ${bin}; build it first or set GATEHOUSE_BIN`);
  }
  await fs.mkdir(LOG_DIR, { recursive: true });

  // Another process may grab the port between freePort() and serve binding it: then start over
  // with a new port and a new data dir (bootstrap bakes the port into set_password_url).
  let lastError;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'gatehouse-e2e-'));
    const port = await freePort();
    const baseURL = `http://${options.host ?? '127.0.0.1'}:${port}`;
    const env = serverEnv({
      ...extraEnv,
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_LISTEN: `127.0.0.1:${port}`,
      GATEHOUSE_PUBLIC_URL: baseURL,
    });

    // 1. Bootstrap the org, its first admin and an API key.
    let boot;
    try {
      boot = await runBootstrap(bin, env, dataDir);
    } catch (e) {
      await fs.rm(dataDir, { recursive: true, force: true });
      throw e;
    }

    // 2. Serve, keeping the log (stdout and stderr) on disk and its tail in memory.
    const logPath = path.join(LOG_DIR, `${label}-server.log`);
    const log = createWriteStream(logPath, { flags: 'w' });
    let tail = '';
    const child = spawn(bin, ['serve'], { env, cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk) => {
        log.write(chunk);
        tail = (tail + chunk.toString()).slice(-4_000);
      });
    }
    const exited = new Promise((r) => child.once('exit', r));

    // 3. Wait until it answers.
    try {
      await waitForHealthy(baseURL, child, () => tail);
    } catch (e) {
      lastError = e;
      await stopChild(child);
      await exited;
      log.end();
      await fs.rm(dataDir, { recursive: true, force: true });
      if (/address already in use|AddrInUse/i.test(tail)) continue; // lost the port race: retry
      throw e;
    }

    const setPasswordUrl = boot?.admin?.set_password_url ?? null;
    return {
      bin,
      baseURL,
      port,
      dataDir,
      logPath,
      boot,
      orgId: boot.org_id,
      adminEmail: boot?.admin?.email ?? ADMIN_EMAIL,
      setPasswordUrl,
      /** Absolute URL for a path on this server. */
      url: (p) => new URL(p, baseURL).toString(),
      /** Absolute URL for a path under /admin/orgs/<org_id>. */
      orgUrl: (p = '') => new URL(`/admin/orgs/${boot.org_id}${p}`, baseURL).toString(),
      async stop() {
        await stopChild(child);
        await exited;
        await new Promise((r) => log.end(r));
        await fs.rm(dataDir, { recursive: true, force: true });
      },
    };
  }
  throw lastError;
}

/**
 * Launches headless Chromium with a fresh temp profile. Returns
 * { context, page, dialogs, pageErrors, close() }.
 * Every JS dialog is recorded in `dialogs` ({type, message}); confirm() dialogs are accepted,
 * every other dialog dismissed. A page that renders user input as markup would show up there.
 * Every uncaught exception of the page's scripts (unhandled promise rejections included) is
 * recorded in `pageErrors` ({message, url}).
 */
export async function launchBrowser() {
  const userDataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'gatehouse-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
    timeout: 60_000,
  });
  context.setDefaultNavigationTimeout(NAV_TIMEOUT);
  context.setDefaultTimeout(ACTION_TIMEOUT);
  const page = context.pages()[0] ?? (await context.newPage());
  const dialogs = [];
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push({ message: String(error?.stack || error), url: page.url() }));
  page.on('dialog', async (dialog) => {
    dialogs.push({ type: dialog.type(), message: dialog.message() });
    if (dialog.type() === 'confirm') await dialog.accept();
    else await dialog.dismiss();
  });
  return {
    context,
    page,
    dialogs,
    pageErrors,
    async close() {
      await context.close().catch(() => {});
      await fs.rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page PNG to artifacts/screenshots/<name>.png and returns its path. */
export async function screenshot(page, name) {
  await fs.mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Declares a chain of dependent steps as top-level tests, run in order. Once one fails, the
 * rest are skipped (they would only fail for the same reason), and a screenshot of the page
 * at the failure is saved as failure-<prefix>-<n>.png.
 */
export function steps(prefix, getPage) {
  let failed = null;
  let n = 0;
  return function step(name, fn) {
    const index = ++n;
    test(name, { timeout: STEP_TIMEOUT }, async (t) => {
      if (failed) {
        t.skip(`skipped: an earlier step failed (${failed})`);
        return;
      }
      try {
        await fn(t);
      } catch (e) {
        failed = name;
        const page = getPage();
        if (page && !page.isClosed()) {
          await screenshot(page, `failure-${prefix}-${String(index).padStart(2, '0')}`).catch(() => {});
          const where = page.url();
          e.message += `\n  (page: ${where})`;
        }
        throw e;
      }
    });
  };
}

// ---------------------------------------------------------------------------------------------
// Page interactions

/**
 * Clicks something that submits a form or follows a link, and waits until its answer is on
 * screen. Works both for a full page load (redirects included) and for an htmx request (the
 * console uses hx-boost, so links and forms swap the page content without a new document):
 * then it waits for htmx to settle. Returns 'loaded' or 'swapped'.
 *
 * Fails when htmx got an error status (4xx/5xx) and swapped nothing in, which is htmx's default
 * for such answers: the person would see no change at all (and the old page would make later
 * checks pass on stale content).
 */
export async function clickAndLoad(page, locator) {
  // Listen in the current document; a new document will not have these.
  await locator.waitFor({ state: 'visible' });
  await page.evaluate(() => {
    const nav = { settled: false, error: null };
    window.__e2eNav = nav;
    document.addEventListener('htmx:afterSettle', () => (nav.settled = true));
    document.addEventListener('htmx:responseError', (e) => (nav.error = e.detail?.xhr?.status ?? 'error'));
    document.addEventListener('htmx:sendError', () => (nav.error = 'network error'));
  });
  await locator.click();

  const deadline = Date.now() + NAV_TIMEOUT;
  let errorSeenAt = null;
  for (;;) {
    let state;
    try {
      state = await page.evaluate(() => {
        const nav = window.__e2eNav;
        if (!nav) return { kind: 'new-document' };
        if (nav.settled) return { kind: 'swapped' };
        if (nav.error !== null) return { kind: 'error', status: nav.error };
        return { kind: 'waiting' };
      });
    } catch {
      state = { kind: 'waiting' }; // the old document is going away mid-navigation
    }
    if (state.kind === 'new-document') {
      await page.waitForLoadState('load', { timeout: Math.max(1_000, deadline - Date.now()) });
      return 'loaded';
    }
    if (state.kind === 'swapped') return 'swapped';
    if (state.kind === 'error') {
      // An error status may still be swapped in (if htmx is configured so): give it a moment.
      errorSeenAt ??= Date.now();
      if (Date.now() - errorSeenAt > 1_000) {
        const text = (await page.locator('body').innerText().catch(() => '')).slice(0, 500);
        throw new Error(
          `clicking ${locator}: the server answered ${state.status} to the htmx request and htmx showed nothing ` +
            `(its default for 4xx/5xx answers), so the page did not change. It still says:\n${text}`,
        );
      }
    }
    if (Date.now() > deadline) {
      throw new Error(
        `clicking ${locator} brought no new page within ${NAV_TIMEOUT} ms (neither a page load nor an htmx swap; did the browser's own form validation block the submit?)`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Turns off the browser's own constraint checks (required, minlength, type=url...) on the form
 * that `inside` belongs to, so that the server's validation message is what gets tested.
 */
export async function skipBrowserValidation(inside) {
  await inside.evaluate((el) => {
    const form = el.tagName === 'FORM' ? el : el.form || el.closest('form');
    if (form) form.noValidate = true;
  });
}

/** page.goto that fails on anything but the expected status (200 unless given). */
export async function visit(page, url, expectStatus = 200) {
  const res = await page.goto(url, { waitUntil: 'load' });
  const status = res ? res.status() : null;
  if (status !== expectStatus) {
    const body = (await page.locator('body').innerText().catch(() => '')).slice(0, 500);
    throw new Error(`GET ${url} answered ${status}, expected ${expectStatus}; page says:\n${body}`);
  }
  return res;
}

/**
 * The form "headed" by the given heading: the form that contains the heading, or, when the
 * heading sits just before the form (<h2>..</h2><form>), the first form after it.
 */
export function formHeaded(page, heading) {
  return page
    .getByRole('heading', { name: heading, exact: true })
    .first()
    .locator('xpath=(ancestor::form | following::form)[1]');
}

/**
 * The form control labelled exactly `label` inside `scope` (a page or a locator). Like
 * getByLabel(label, { exact: true }), but also finds a <select> wrapped in its <label>
 * (<label>Product <select>...</select></label>), whose label text would otherwise include
 * every option's text.
 */
export function field(scope, label) {
  if (label.includes("'")) throw new Error(`field(): labels with ' are not supported: ${label}`);
  const wrappedSelect = scope.locator(
    `xpath=.//label[normalize-space(text()[1])='${label}' or normalize-space(*[1][not(self::select)])='${label}']//select`,
  );
  return scope.getByLabel(label, { exact: true }).or(wrappedSelect);
}

/** The h1 with exactly this text. */
export function h1(page, text) {
  return page.getByRole('heading', { level: 1, name: text, exact: true });
}

/** The main navigation landmark, labelled "Main". */
export function mainNav(page) {
  return page.getByRole('navigation', { name: 'Main', exact: true });
}

/**
 * Waits until the locator matches a visible element; on timeout, fails with what the page said
 * instead (its alert/status messages and the start of its text).
 */
export async function expectVisible(page, locator, what, timeout = ACTION_TIMEOUT) {
  try {
    await locator.first().waitFor({ state: 'visible', timeout });
  } catch {
    const body = (await page.locator('body').innerText().catch(() => '')).replace(/\s+\n/g, '\n').slice(0, 800);
    throw new Error(`expected to see ${what} on ${page.url()}, but did not. The page says:\n${body}`);
  }
}

/** Waits for an element with the given ARIA role (alert, status) containing `text`. */
export async function expectMessage(page, role, text) {
  await expectVisible(page, page.getByRole(role).filter({ hasText: text }), `role="${role}" containing ${JSON.stringify(text)}`);
}

/** The visible text of the whole page. */
export async function pageText(page) {
  return page.locator('body').innerText();
}

/**
 * The text of the part of the page that a heading introduces: its <section>/<article> when
 * the heading is that container's first heading, otherwise the heading and its following
 * siblings up to the next heading of the same or a higher level. null when no such heading.
 */
export async function sectionText(page, heading) {
  return page.evaluate((name) => {
    const all = [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')];
    const h = all.find((el) => el.textContent.trim() === name);
    if (!h) return null;
    const container = h.closest('section, article');
    if (container && container.querySelector('h1,h2,h3,h4,h5,h6') === h) return container.innerText;
    const level = Number(h.tagName[1]);
    let text = h.innerText;
    for (let n = h.nextElementSibling; n; n = n.nextElementSibling) {
      if (/^H[1-6]$/.test(n.tagName) && Number(n.tagName[1]) <= level) break;
      const inner = n.querySelector('h1,h2,h3,h4,h5,h6');
      if (inner && Number(inner.tagName[1]) <= level) break;
      text += '\n' + n.innerText;
    }
    return text;
  }, heading);
}

/**
 * Selects the option of a <select> whose value or label is exactly `text`, else the first whose
 * label contains it. Returns the chosen value. Fails listing the options when none fits.
 */
export async function selectOptionMatching(select, text) {
  await select.waitFor({ state: 'visible' });
  const options = await select.locator('option').evaluateAll((els) =>
    els.map((o) => ({ value: o.value, label: (o.label || o.textContent || '').trim() })),
  );
  const pick =
    options.find((o) => o.value === text || o.label === text) ?? options.find((o) => o.label.includes(text));
  if (!pick) {
    throw new Error(`no option matching ${JSON.stringify(text)}; options are ${JSON.stringify(options)}`);
  }
  await select.selectOption({ value: pick.value });
  return pick.value;
}

/** The table rows (not header rows) that contain `text`. */
export function rowsWith(page, text) {
  return page.getByRole('row').filter({ has: page.getByRole('cell') }).filter({ hasText: text });
}

/** Data rows of the first table on the page (rows that have cells, not only column headers). */
export function dataRows(page) {
  return page.getByRole('table').first().getByRole('row').filter({ has: page.getByRole('cell') });
}

// ---------------------------------------------------------------------------------------------
// Sign-in flows

/**
 * Signs in through /login's two steps (the email, then the password) and submits; the caller
 * checks where it landed. A password step already on screen for this email (re-shown after a
 * failure) is used as it is; otherwise the sign-in starts afresh, bound for the console.
 */
export async function signIn(page, server, email, password) {
  const url = page.url().startsWith(server.baseURL) ? new URL(page.url()) : null;
  const onPasswordStep =
    url?.pathname === '/login' &&
    (await field(page, 'Password').count()) > 0 &&
    (await field(page, 'Email').inputValue()) === email;
  if (!onPasswordStep) {
    await visit(page, server.url('/login?next=%2Fadmin'));
    await field(page, 'Email').fill(email);
    await clickAndLoad(page, page.getByRole('button', { name: 'Continue', exact: true }));
  }
  await field(page, 'Password').fill(password);
  return clickAndLoad(page, page.getByRole('button', { name: 'Sign in', exact: true }));
}

/** Sets a password through a set-password page already open in `page`. */
export async function submitNewPassword(page, password, confirm = password) {
  await field(page, 'New password').fill(password);
  await field(page, 'Confirm password').fill(confirm);
  return clickAndLoad(page, page.getByRole('button', { name: 'Set password', exact: true }));
}

/** Asserts that the browser is on the given org's overview page. */
export async function expectOverview(page, server) {
  await page.waitForURL((u) => u.pathname === `/admin/orgs/${server.orgId}`, { timeout: NAV_TIMEOUT });
  await expectVisible(page, h1(page, ORG_NAME), `the h1 "${ORG_NAME}"`);
}

/**
 * Visits the admin's set_password_url, sets `password`, checks the "Your password is set"
 * notice on /login, then signs in as the admin and waits for the org overview.
 */
export async function setPasswordAndSignIn(page, server, password) {
  if (!server.setPasswordUrl) {
    throw new Error(
      'gatehouse bootstrap printed no admin.set_password_url; this binary predates the console (bootstrap said: ' +
        JSON.stringify(server.boot) +
        ')',
    );
  }
  // 1. The one-time link from bootstrap opens the set-password form.
  await visit(page, server.setPasswordUrl);
  await submitNewPassword(page, password);
  // 2. Success lands on /login with a notice.
  await page.waitForURL((u) => u.pathname === '/login', { timeout: NAV_TIMEOUT });
  await expectMessage(page, 'status', 'Your password is set');
  // 3. Sign in with the new password and land on the overview.
  await signIn(page, server, server.adminEmail, password);
  await expectOverview(page, server);
}

/**
 * The newest mail to `to` (holding `marker`, if given) in the server's outbox folder, waiting
 * for it: the sign-in pages send mail after they have answered.
 */
export async function mailTo(server, to, marker = '') {
  const dir = path.join(server.dataDir, 'outbox');
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const names = (await fs.readdir(dir).catch(() => [])).sort().reverse();
    for (const name of names) {
      const text = await fs.readFile(path.join(dir, name), 'utf8');
      if (text.startsWith(`To: ${to}\r\n`) && text.includes(marker)) return text;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail to ${to} ${marker ? `holding ${marker} ` : ''}in ${dir} within 10 s`);
}
