// The citizen's journey in a real browser, in Azerbaijani, English and Russian: the service found
// from the home page, a time booked online for today (the browser solves the proof of work, the
// one-time code comes from the dev mailbox), the appointment checked in at the kiosk of BAKU-1
// (through the API from the paired kiosk page until the kiosk screen offers it: see the todo at
// the end), its ticket called by the officer and shown on the hall display, served, and rated 5
// on the window's feedback tablet. Every page is axe-clean; each step's screenshot goes to
// target/screenshots/journey-<lang>-<step>.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

const root = resolve(import.meta.dirname, '..', '..');
const bin = process.env.ONESTOP_TEST_BIN ?? join(root, 'target', 'debug', 'onestop');
const shots = join(root, 'target', 'screenshots');
const PASSWORD = 'browser test passphrase';
const DB = 'sqlite://./data/journey-browser.db';
const SERVICE = 'MIA-ID-CARD';
const CENTRE = 'BAKU-1';
const ZONE = 'Asia/Baku'; // the demo country's time zone, BAKU-1's
// One citizen per language: a fresh national ID, name and email, and what they type in the search.
const CITIZENS = {
  az: { fin: '7AZJR01', name: 'Aysel Məmmədova', email: 'aysel@example.az', search: 'şəxsiyyət vəsiqəsi' },
  en: { fin: '7ENJR02', name: 'Alex Morgan', email: 'alex@example.org', search: 'identity card' },
  ru: { fin: '7RUJR03', name: 'Ирина Петрова', email: 'irina@example.ru', search: 'удостоверение личности' },
};
// The booking settings of the journey: today bookable (tomorrow too, for a run in the last
// half-hour of the day), check-in an hour ahead so the earliest time can be checked in at once,
// the dev mailbox for the code, a cheap proof of work, and the whole capacity for the website.
const SERVER_ENV = {
  ONESTOP_BOOKING_FIRST_DAY: '0',
  ONESTOP_BOOKING_LAST_DAY: '1',
  ONESTOP_BOOKING_CHECK_IN_BEFORE_MINUTES: '60',
  ONESTOP_BOOKING_SHARE_WEBSITE_PERCENT: '100',
  ONESTOP_BOOKING_SHARE_CALL_CENTRE_PERCENT: '0',
  ONESTOP_BOOKING_SHARE_INFO_DESK_PERCENT: '0',
  ONESTOP_BOOKING_POW_DIFFICULTY: '8',
  ONESTOP_NOTIFY_DEV_MAILBOX: 'true',
};

let work, server, base, browser;
const tokens = {};

function run(args, input) {
  const result = spawnSync(bin, [...args, '--database-url', DB], { cwd: work, input, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.trim();
}

/** The message `key` of `lang` with its { $placeables } filled in (single-line messages only). */
const messages = {};
function t(lang, key, args = {}) {
  messages[lang] ??= readFileSync(join(root, 'crates', 'web', 'locales', lang, 'onestop.ftl'), 'utf8');
  const line = messages[lang].split('\n').find((l) => l.startsWith(`${key} = `));
  assert.ok(line, `${lang} has the message ${key}`);
  return line.slice(key.length + 3).replace(/\{ \$(\w+) \}/g, (_, name) => String(args[name]));
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'onestop-journey-browser-'));
  mkdirSync(shots, { recursive: true });
  // The demo catalogue with the centres open around the clock, so the journey runs whenever the
  // suite does (the real hours close BAKU-1 at night).
  const demo = readFileSync(join(root, 'catalogue', 'asan-demo.yaml'), 'utf8');
  const hours = /    hours: &asan-hours\n(      - .*\n)+    public_holidays: closed\n/;
  assert.match(demo, hours);
  writeFileSync(join(work, 'allday.yaml'), demo.replace(hours,
    '    hours: &asan-hours\n      - {days: [monday, tuesday, wednesday, thursday, friday, saturday, sunday], open: "00:00", close: "23:59"}\n    public_holidays: open\n'));
  mkdirSync(join(work, 'data'));
  run(['import-catalogue', 'allday.yaml']);
  run(['user', 'add', '--login', 'officer', '--role', 'officer', '--name', 'Test Officer', '--centre', CENTRE, '--provider', 'MIA'], `${PASSWORD}\n`);
  const token = (args) => run(['token', 'issue', ...args]).split('\n').pop().trim();
  tokens.kiosk = token(['--kind', 'kiosk', '--centre', CENTRE]);
  tokens.hall = token(['--kind', 'display', '--centre', CENTRE]);
  tokens.tablet = token(['--kind', 'tablet', '--centre', CENTRE, '--window', '1']);
  for (const tk of Object.values(tokens)) assert.match(tk, /^ost_/);

  server = spawn(bin, ['demo', '--no-drive', '--database-url', DB, '--listen', '127.0.0.1:0', '--log-format', 'json'], {
    cwd: work, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...SERVER_ENV },
  });
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
      '--disable-component-update', '--disable-sync', '--no-first-run', '--autoplay-policy=no-user-gesture-required'],
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

/**
 * Fails on any serious or critical WCAG 2.1 A/AA violation, naming rule and elements; then saves
 * the page as target/screenshots/journey-<lang>-<step>.png.
 */
async function accessible(page, lang, step) {
  const name = `journey-${lang}-${step}`;
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const report = bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(report, [], `${name} has accessibility violations`);
  assert.equal(await page.getAttribute('html', 'lang'), lang, `${name} is in ${lang}`);
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

/** A browser context paired as a screen with `token`, on the screen the pairing leads to, in `lang`. */
async function screen(token, path, lang) {
  const context = await browser.newContext();
  // A kiosk's print dialog would wait for a person; record that printing was asked instead.
  await context.addInitScript(() => { window.print = () => { window.printed = true; }; });
  const page = await context.newPage();
  await page.goto(`${base}/screens/pair?lang=${lang}`);
  await page.locator('#token').fill(token);
  await page.locator('#token').press('Enter');
  await page.waitForURL(`${base}${path}`);
  return { context, page };
}

/** YYYY-MM-DD in BAKU-1's time zone, `days` after today. */
function localDate(days = 0) {
  return new Date(Date.now() + days * 86400000).toLocaleDateString('en-CA', { timeZone: ZONE });
}

for (const lang of Object.keys(CITIZENS)) {
  test(`a citizen books online, checks in, is called, served and rates the service, in ${lang}`, async () => {
    const who = CITIZENS[lang];
    const contexts = [];
    const opened = (x) => { contexts.push(x.context ?? x); return x; };
    try {
      // The centre's screens are on before the citizen arrives.
      const hall = opened(await screen(tokens.hall, '/screens/hall', lang));
      const tablet = opened(await screen(tokens.tablet, '/screens/feedback', lang));
      const kiosk = opened(await screen(tokens.kiosk, '/screens/kiosk', lang));
      for (const s of [hall, tablet, kiosk]) assert.equal(await s.page.getAttribute('html', 'lang'), lang);
      await hall.page.locator('body[data-live="yes"]').waitFor();
      await tablet.page.locator('body[data-live="yes"]').waitFor();
      assert.equal(await tablet.page.locator('#feedback-form').isHidden(), true, 'nothing to rate yet');

      // 1. The citizen finds the service from the home page, then books it from the site's menu.
      const citizen = opened(await browser.newContext());
      const page = await citizen.newPage();
      await page.goto(`${base}/?lang=${lang}`);
      await accessible(page, lang, '1-home');
      await page.locator('#home-q').fill(who.search);
      await page.locator('#home-q').press('Enter');
      const found = page.locator(`main a[href="/services/${SERVICE}"]`);
      await found.first().waitFor();
      await accessible(page, lang, '1-search');
      const serviceName = (await found.first().textContent()).trim();
      await found.first().click();
      await page.waitForURL(`${base}/services/${SERVICE}`);
      assert.equal((await page.locator('h1').textContent()).trim(), serviceName);
      await accessible(page, lang, '1-service');
      const bookLink = page.locator('.usa-nav__primary a[href="/book"]');
      assert.equal((await bookLink.textContent()).trim(), t(lang, 'nav-book'));
      await bookLink.click();
      await page.waitForURL(`${base}/book`);
      await accessible(page, lang, '1-book');
      await page.locator(`main a[href="/book/${SERVICE}"]`, { hasText: serviceName }).click();
      await page.waitForURL(`${base}/book/${SERVICE}`);
      await accessible(page, lang, '1-centres');
      await page.locator(`main a[href="/book/${SERVICE}/${CENTRE}"]`).click();
      await page.waitForURL(`${base}/book/${SERVICE}/${CENTRE}`);
      assert.equal((await page.locator('h1').textContent()).trim(), serviceName);
      // The first day offered is today.
      assert.equal((await page.locator('a[aria-current="date"]').textContent()).trim(), localDate());
      await accessible(page, lang, '1-slots');

      // 2. The earliest free time of today still ahead. (The page also offers today's times that
      // have passed, and takes bookings for them: those are never checked in. In the last
      // half-hour of the day no time is ahead: then tomorrow's first, which the hour-long
      // check-in window also lets in at once.)
      const now = Date.now();
      let slots = await page.locator('input[name="starts_at"]').evaluateAll((inputs) => inputs.map((i) => [i.id, i.value]));
      let slot = slots.find(([, at]) => Date.parse(at) > now);
      if (!slot) {
        await page.locator(`a[href$="?date=${localDate(1)}"]`).click();
        await page.locator(`a[aria-current="date"]`, { hasText: localDate(1) }).waitFor();
        slots = await page.locator('input[name="starts_at"]').evaluateAll((inputs) => inputs.map((i) => [i.id, i.value]));
        slot = slots.find(([, at]) => Date.parse(at) > now);
      }
      assert.ok(slot, 'a time is free');
      const [slotId, startsAt] = slot;
      assert.ok(Date.parse(startsAt) - now <= 60 * 60000, `${startsAt} can be checked in at once`);
      // USWDS draws the tile on its label (the input itself sits off-screen): choose by the label.
      const slotLabel = page.locator(`label[for="${slotId}"]`);
      const localTime = (await slotLabel.textContent()).trim().slice(0, 5);
      assert.match(localTime, /^\d\d:\d\d$/);
      await slotLabel.click();
      assert.ok(await page.locator(`#${slotId}`).isChecked());
      await page.locator('#national_id').fill(who.fin);
      await page.locator('#name').fill(who.name);
      await page.locator('#email').fill(who.email);
      await accessible(page, lang, '2-form');
      // The form's script fetches a challenge and solves it before the form is sent.
      const challenge = page.waitForResponse((r) => r.url().endsWith('/api/v1/appointments/challenge') && r.status() === 200);
      await page.locator('#booking-form button[type="submit"]').click();
      await challenge;
      await page.waitForURL(/\/appointments\/AP-[A-Z0-9]{4}-[A-Z0-9]{4}\/confirm$/);
      const reference = new URL(page.url()).pathname.split('/')[2];
      assert.ok((await page.locator('main p').first().textContent()).includes(serviceName), 'the code page names the service');
      await accessible(page, lang, '2-code');

      // The one-time code, from the dev mailbox.
      const mailbox = await citizen.request.get(`${base}/dev/mailbox.json?to=${encodeURIComponent(who.email)}`);
      assert.equal(mailbox.status(), 200);
      const sent = (await mailbox.json()).messages;
      assert.equal(sent.length, 1, 'one message: the code');
      assert.equal(sent[0].channel, 'email');
      const code = sent[0].body.match(/\b\d{6}\b/)?.[0];
      assert.ok(code, `a six-digit code in ${JSON.stringify(sent[0].body)}`);
      assert.ok(sent[0].body.includes(reference), 'the message names the reference');
      await page.locator('#code').fill(code);
      await page.locator('#code').press('Enter');
      await page.waitForURL(`${base}/appointments/${reference}`);
      assert.equal((await page.locator('h1').textContent()).trim(), t(lang, 'booking-view-title', { reference }));
      assert.equal((await page.locator('#booking-state').textContent()).trim(), t(lang, 'booking-state-confirmed'));
      assert.equal((await page.locator('.usa-summary-box dd strong').textContent()).trim(), reference);
      assert.ok((await page.locator('.usa-summary-box').textContent()).includes(localTime), 'the booking shows its time');
      await page.locator(`img[src="/api/v1/appointments/${reference}/qr.svg"]`).waitFor();
      await accessible(page, lang, '2-booking');

      // 3. Check-in at the kiosk of BAKU-1: the reference typed as a QR reader types it (lower
      // case is forgiven), then Enter; the kiosk shows the ticket and opens its print page.
      await accessible(kiosk.page, lang, '3-kiosk');
      const printed = kiosk.context.waitForEvent('page');
      const checkedIn = kiosk.page.waitForResponse((r) => r.url().endsWith(`/api/v1/appointments/${reference}/check-in`));
      await kiosk.page.locator('#appointment-ref').fill(reference.toLowerCase());
      await kiosk.page.locator('#appointment-ref').press('Enter');
      assert.equal((await checkedIn).status(), 201);
      await kiosk.page.locator('#kiosk-ticket').waitFor();
      const number = (await kiosk.page.locator('#ticket-number').textContent()).trim();
      assert.match(number, /^[A-Z]-\d{3}$/);
      assert.equal((await kiosk.page.locator('#ticket-service').textContent()).trim(), serviceName);
      await accessible(kiosk.page, lang, '3-kiosk-ticket');
      const print = await printed;
      await print.waitForLoadState();
      const ticketId = new URL(print.url()).pathname.split('/')[2];
      assert.ok((await print.locator('h1').textContent()).includes(number), 'the printed ticket has the number');
      assert.ok((await print.locator('.os-print__service').textContent()).includes(serviceName));
      assert.equal(await print.evaluate(() => window.printed), true, 'the kiosk printed the ticket');
      await accessible(print, lang, '3-ticket');
      // The booking page says so.
      await page.reload();
      assert.equal((await page.locator('#booking-state').textContent()).trim(), t(lang, 'booking-state-checked_in'));
      await accessible(page, lang, '3-booking-checked-in');
      // The hall counts the citizen waiting.
      await hall.page.locator(`#waiting li[data-service="${SERVICE}"]`).waitFor();

      // 5. The officer signs in, takes window 1 and calls: the appointment's ticket comes.
      const office = opened(await browser.newContext());
      const officer = await office.newPage();
      await officer.goto(`${base}/sign-in?lang=${lang}`);
      await officer.locator('#login').fill('officer');
      await officer.locator('#password').fill(PASSWORD);
      await officer.locator('#password').press('Enter');
      await officer.waitForURL(`${base}/staff`);
      await officer.locator(`.usa-nav__primary a[href="/staff/window"]`).click();
      await officer.waitForURL(`${base}/staff/window`);
      await officer.locator('#window').selectOption(`${CENTRE}:1`);
      await accessible(officer, lang, '5-console-window');
      await officer.locator('#sign-in').click();
      await officer.locator('#console').waitFor();
      await officer.locator('body[data-live="yes"]').waitFor();
      await officer.locator('#call-next:not([disabled])').click();
      await officer.locator('#current-number', { hasText: number }).waitFor();
      assert.ok((await officer.locator('#officer-message').textContent()).includes(t(lang, 'officer-called', { ticket: number })));
      assert.ok((await officer.locator('#current-holder').textContent()).includes(who.name), 'the console names the citizen');
      await accessible(officer, lang, '5-console-called');

      // 4. The hall shows the call: the ticket, to window 1 on floor 1.
      const call = hall.page.locator('#calls tr.os-hall__new');
      await call.locator('th', { hasText: number }).waitFor();
      assert.equal((await call.locator('td').textContent()).trim(), t(lang, 'ticket-window-floor', { number: 1, floor: 1 }));
      await accessible(hall.page, lang, '4-hall-called');

      // 5. Service starts and ends, served.
      await officer.locator('#start:not([disabled])').click();
      await officer.locator('#current-state', { hasText: t(lang, 'ticket-state-serving') }).waitFor();
      await accessible(officer, lang, '5-console-serving');
      await officer.locator('label[for="outcome-served"]').click();
      assert.ok(await officer.locator('#outcome-served').isChecked());
      const finished = officer.waitForResponse((r) => r.url().endsWith('/finish') && r.request().method() === 'POST');
      await officer.locator('#finish').click();
      assert.equal((await finished).status(), 200);
      await officer.locator('#current-number', { hasText: '—' }).waitFor();
      await accessible(officer, lang, '5-console-finished');

      // 6. The tablet at window 1 offers the rating of that ticket; 5 is accepted.
      await tablet.page.locator('#feedback-ticket', { hasText: t(lang, 'feedback-ticket', { number }) }).waitFor();
      await tablet.page.locator('#feedback-form').waitFor();
      await accessible(tablet.page, lang, '6-tablet');
      await tablet.page.locator('label[for="score-5"]').click();
      assert.ok(await tablet.page.locator('#score-5').isChecked());
      const rated = tablet.page.waitForResponse((r) => r.url().endsWith(`/api/v1/tickets/${ticketId}/rating`));
      await tablet.page.locator('#rate button[type="submit"]').click();
      assert.equal((await rated).status(), 201, 'the rating is taken (not "already rated")');
      await tablet.page.locator('#rate-done', { hasText: t(lang, 'feedback-thanks') }).waitFor();
      await accessible(tablet.page, lang, '6-tablet-rated');

      // The officer leaves the window for the next journey.
      await officer.locator('#sign-out').click();
      await officer.locator('#window-form').waitFor();
    } finally {
      for (const c of contexts) await c.close();
    }
  });
}

