// Every public page and every staff home in a real browser (Debian's Chromium driven by
// playwright-core), in Azerbaijani, English and Russian: zero serious or critical axe violations,
// keyboard sign-in, a language switch that keeps the place. Screenshots go to target/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

const root = resolve(import.meta.dirname, '..', '..');
const bin = process.env.ONESTOP_TEST_BIN ?? join(root, 'target', 'debug', 'onestop');
const shots = join(root, 'target', 'screenshots');
const PASSWORD = 'browser test passphrase';
const LANGUAGES = ['az', 'en', 'ru'];
const DB = 'sqlite://./data/browser.db';
// One account per role, bound as the role requires.
const ROLES = [
  ['agency_admin', []],
  ['centre_manager', ['--centre', 'AZ-B1']],
  ['info_desk', ['--centre', 'AZ-B1']],
  ['officer', ['--centre', 'AZ-B1', '--provider', 'MIA']],
  ['bank_teller', ['--centre', 'AZ-B1']],
  ['monitoring_analyst', []],
  ['call_centre_operator', []],
  ['volunteer', ['--centre', 'AZ-B1']],
  ['commission_member', []],
];

let work, server, base, browser;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'onestop-browser-'));
  mkdirSync(shots, { recursive: true });
  for (const [role, scope] of ROLES) {
    const login = role.replaceAll('_', '-');
    const added = spawnSync(bin, ['user', 'add', '--database-url', DB, '--login', login, '--role', role, '--name', `Test ${role}`, ...scope], {
      cwd: work,
      input: `${PASSWORD}\n`,
      encoding: 'utf8',
    });
    assert.equal(added.status, 0, added.stderr);
  }
  // The demo: the real ASAN catalogue behind the public pages.
  server = spawn(bin, ['demo', '--no-drive', '--database-url', DB, '--listen', '127.0.0.1:0', '--log-format', 'json'], { cwd: work, stdio: ['ignore', 'ignore', 'pipe'] });
  base = await new Promise((ok, fail) => {
    const lines = createInterface({ input: server.stderr });
    lines.on('line', (line) => {
      try {
        const addr = JSON.parse(line).addr;
        if (addr) ok(`http://${addr}`);
      } catch { /* not a JSON line */ }
    });
    server.on('exit', (code) => fail(new Error(`the server exited with ${code}`)));
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((ok) => server.on('exit', ok));
    server.kill('SIGTERM');
    await exited;
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Fails on any serious or critical WCAG 2.1 A/AA violation, naming rule and elements. */
async function accessible(page, name) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const report = bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(report, [], `${name} has accessibility violations`);
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function signIn(page, login, lang) {
  await page.goto(`${base}/sign-in?lang=${lang}`);
  await page.keyboard.press('Tab'); // the skip link comes first: the page is keyboard operable
  await page.locator('#login').fill(login);
  await page.locator('#password').fill(PASSWORD);
  await page.locator('#password').press('Enter');
  await page.waitForURL(`${base}/staff`);
}

for (const lang of LANGUAGES) {
  test(`public pages in ${lang}`, async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const pages = [
      ['/', 'home'],
      ['/services', 'services'],
      ['/services/MIA-ID-CARD', 'service'],
      ['/centres', 'centres'],
      ['/centres/BAKU-1', 'centre'],
      ['/sign-in', 'sign-in'],
      ['/transparency', 'transparency'],
      ['/complaints', 'complaints'],
      ['/ideas', 'ideas'],
      ['/centres/BAKU-1/exit-poll', 'exit-poll'],
      ['/book', 'book'],
      ['/book/MIA-ID-CARD', 'book-centres'],
      ['/book/MIA-ID-CARD/BAKU-1', 'book-slots'],
      ['/track', 'track'],
    ];
    for (const [path, name] of pages) {
      const response = await page.goto(`${base}${path}?lang=${lang}`);
      assert.equal(response.status(), 200);
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      await accessible(page, `${lang}-${name}`);
    }
    // Searching from the home page finds the passport service, with the keyboard alone.
    await page.goto(`${base}/?lang=${lang}`);
    await page.locator('#home-q').fill(lang === 'ru' ? 'паспорт' : lang === 'az' ? 'pasport' : 'passport');
    await page.locator('#home-q').press('Enter');
    await page.locator('a[href="/services/MIA-PASSPORT"]').waitFor();
    await accessible(page, `${lang}-search`);
    // A failed sign-in shows an error summary that is itself accessible.
    await page.goto(`${base}/sign-in?lang=${lang}`);
    await page.locator('#login').fill('nobody');
    await page.locator('#password').fill('wrong password!!');
    await page.locator('#password').press('Enter');
    await page.locator('.usa-alert--error').waitFor();
    await accessible(page, `${lang}-sign-in-error`);
    await context.close();
  });

  test(`every staff home in ${lang}`, async () => {
    for (const [role] of ROLES) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await signIn(page, role.replaceAll('_', '-'), lang);
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      await accessible(page, `${lang}-${role}-home`);
      // Each page the role's navigation offers is reachable and accessible, and nothing else is offered.
      const links = await page.locator('.usa-nav__primary a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      const expected = ['/staff'];
      if (['agency_admin', 'officer'].includes(role)) expected.push('/staff/window');
      if (['agency_admin', 'centre_manager', 'info_desk'].includes(role)) expected.push('/staff/desk');
      if (['agency_admin', 'centre_manager'].includes(role)) expected.push('/staff/staffing');
      if (['agency_admin', 'centre_manager'].includes(role)) expected.push('/admin/staff');
      if (['agency_admin', 'monitoring_analyst'].includes(role)) expected.push('/admin/audit');
      if (role === 'agency_admin') expected.push('/admin/registry');
      if (['agency_admin', 'monitoring_analyst', 'call_centre_operator'].includes(role)) expected.push('/staff/complaints');
      if (['agency_admin', 'centre_manager', 'info_desk', 'monitoring_analyst', 'call_centre_operator'].includes(role)) {
        expected.push('/staff/complaints/new');
      }
      if (!['volunteer', 'commission_member'].includes(role)) expected.push('/staff/applications');
      if (role === 'bank_teller') expected.push('/staff/bank');
      if (role === 'centre_manager') expected.push('/staff/refunds');
      if (['agency_admin', 'centre_manager', 'bank_teller', 'monitoring_analyst'].includes(role)) expected.push('/staff/reconciliation');
      if (['agency_admin', 'centre_manager', 'monitoring_analyst'].includes(role)) expected.push('/monitoring');
      expected.push('/account/password');
      assert.deepEqual(links, expected, `navigation of ${role}`);
      if (role === 'agency_admin') links.push('/staff/centres/BAKU-1/staffing');
      if (role === 'agency_admin') {
        links.push('/admin/registry/services/MIA-ID-CARD', '/admin/registry/centres/BAKU-1', '/admin/registry/providers/MIA');
      }
      for (const href of links.slice(1)) {
        const response = await page.goto(`${base}${href}`);
        assert.equal(response.status(), 200, `${role} ${href}`);
        await accessible(page, `${lang}-${role}${href.replaceAll('/', '-')}`);
      }
      await context.close();
    }
  });
}

test('the language switch keeps the place', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, 'agency-admin', 'az');
  await page.goto(`${base}/admin/audit?action=session`);
  await page.locator('.os-lang a[hreflang="ru"]').click();
  await page.waitForURL(/lang=ru/);
  const url = new URL(page.url());
  assert.equal(url.pathname, '/admin/audit');
  assert.equal(url.searchParams.get('action'), 'session');
  assert.equal(await page.getAttribute('html', 'lang'), 'ru');
  assert.equal(await page.locator('h1').textContent(), 'Журнал аудита');
  // The choice is remembered on the next page.
  await page.goto(`${base}/staff`);
  assert.equal(await page.getAttribute('html', 'lang'), 'ru');
  await context.close();
});
