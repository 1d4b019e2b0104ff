// The queue in a real browser: screens paired with device tokens, a kiosk ticket printed and
// followed on its page, an officer calling it in the console, the hall and window displays
// showing the call over the live event stream; every queue page and screen axe-clean in
// Azerbaijani, English and Russian. Screenshots go to target/screenshots/.
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
const LANGUAGES = ['az', 'en', 'ru'];
const DB = 'sqlite://./data/queue-browser.db';
const FIN = '5ABC12K';

let work, server, base, browser;
const tokens = {};

function run(args, input) {
  const result = spawnSync(bin, [...args, '--database-url', DB], { cwd: work, input, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.trim();
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'onestop-queue-browser-'));
  mkdirSync(shots, { recursive: true });
  // The demo catalogue with the centres open around the clock, so the queue runs whenever the
  // suite does (the real hours close BAKU-1 at night).
  const demo = readFileSync(join(root, 'catalogue', 'asan-demo.yaml'), 'utf8');
  const hours = /    hours: &asan-hours\n(      - .*\n)+    public_holidays: closed\n/;
  assert.match(demo, hours);
  writeFileSync(join(work, 'allday.yaml'), demo.replace(hours,
    '    hours: &asan-hours\n      - {days: [monday, tuesday, wednesday, thursday, friday, saturday, sunday], open: "00:00", close: "23:59"}\n    public_holidays: open\n'));
  mkdirSync(join(work, 'data'));
  run(['import-catalogue', 'allday.yaml']);
  run(['user', 'add', '--login', 'officer', '--role', 'officer', '--name', 'Test Officer', '--centre', 'BAKU-1', '--provider', 'MIA'], `${PASSWORD}\n`);
  run(['user', 'add', '--login', 'desk', '--role', 'info_desk', '--name', 'Test Desk', '--centre', 'BAKU-1'], `${PASSWORD}\n`);
  run(['user', 'add', '--login', 'analyst', '--role', 'monitoring_analyst', '--name', 'Test Analyst'], `${PASSWORD}\n`);
  const token = (args) => run(['token', 'issue', ...args]).split('\n').pop().trim();
  tokens.kiosk = token(['--kind', 'kiosk', '--centre', 'BAKU-1']);
  tokens.hall = token(['--kind', 'display', '--centre', 'BAKU-1']);
  tokens.window = token(['--kind', 'display', '--centre', 'BAKU-1', '--window', '1']);
  tokens.tablet = token(['--kind', 'tablet', '--centre', 'BAKU-1', '--window', '1']);
  for (const t of Object.values(tokens)) assert.match(t, /^ost_/);

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

/** Fails on any serious or critical WCAG 2.1 A/AA violation, naming rule and elements. */
async function accessible(page, name) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const report = bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(report, [], `${name} has accessibility violations`);
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

/** A browser context paired as a screen with `token`, on the screen the pairing leads to. */
async function screen(token, path, options = {}) {
  const context = await browser.newContext(options);
  // A kiosk's print dialog would wait for a person; record that printing was asked instead.
  await context.addInitScript(() => { window.print = () => { window.printed = true; }; });
  const page = await context.newPage();
  await page.goto(`${base}/screens/pair?lang=en`);
  await page.locator('#token').fill(token);
  await page.locator('#token').press('Enter');
  await page.waitForURL(`${base}${path}`);
  return { context, page };
}

async function signIn(login, lang = 'en') {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/sign-in?lang=${lang}`);
  await page.locator('#login').fill(login);
  await page.locator('#password').fill(PASSWORD);
  await page.locator('#password').press('Enter');
  await page.waitForURL(`${base}/staff`);
  return { context, page };
}

test('a kiosk ticket is called in the console and shown on the hall and window displays', async () => {
  const hall = await screen(tokens.hall, '/screens/hall');
  const display = await screen(tokens.window, '/screens/window');
  const tablet = await screen(tokens.tablet, '/screens/feedback');
  await hall.page.locator('body[data-live="yes"]').waitFor();
  await display.page.locator('body[data-live="yes"]').waitFor();
  await tablet.page.locator('body[data-live="yes"]').waitFor();
  assert.equal(await tablet.page.locator('#feedback-form').isHidden(), true, 'nothing to rate yet');

  // The kiosk: the card reader types the FIN and Enter; one touch on a service.
  const kiosk = await screen(tokens.kiosk, '/screens/kiosk');
  await kiosk.page.locator('#id-card').fill(FIN);
  await kiosk.page.locator('#id-card').press('Enter');
  const printed = kiosk.context.waitForEvent('page');
  await kiosk.page.locator('button[data-service="MIA-ID-CARD"]').click();
  await kiosk.page.locator('#kiosk-ticket').waitFor();
  const number = (await kiosk.page.locator('#ticket-number').textContent()).trim();
  assert.match(number, /^[A-Z]-\d{3}$/);
  assert.equal(await kiosk.page.locator('#id-card').inputValue(), '', 'the ID leaves the screen');
  await accessible(kiosk.page, 'queue-kiosk-ticket');

  // The print page opened by itself, asked to print, and carries the number and the QR code.
  const print = await printed;
  await print.waitForLoadState('load');
  assert.equal((await print.locator('h1').textContent()).includes(number), true);
  assert.equal(await print.locator('svg.os-qr').count(), 1);
  assert.equal(await print.evaluate(() => window.printed), true);
  await accessible(print, 'queue-print');
  const href = await kiosk.page.locator('#ticket-print').getAttribute('href');
  const id = href.match(/\/tickets\/(\d+)\/print/)[1];

  // The hall knows one more person waits for ID cards.
  await hall.page.locator('#waiting li[data-service="MIA-ID-CARD"] strong').filter({ hasText: '1' }).waitFor();

  // The citizen follows the ticket on a phone.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const ticket = await phone.newPage();
  await ticket.goto(`${base}/tickets/${id}?lang=en`);
  assert.equal(await ticket.locator('#ticket-state').textContent(), 'Waiting');
  await accessible(ticket, 'queue-ticket-phone');

  // The officer signs in to window 1 and calls.
  const officer = await signIn('officer');
  await officer.page.goto(`${base}/staff/window`);
  await officer.page.locator('#window').selectOption('BAKU-1:1');
  await officer.page.locator('#sign-in').click();
  await officer.page.locator('#console').waitFor();
  await officer.page.locator('body[data-live="yes"]').waitFor();
  await officer.page.locator('#call-next').click();
  await officer.page.locator('#current-number', { hasText: number }).waitFor();
  await accessible(officer.page, 'queue-officer-called');

  // The hall shows the call, newest highlighted, with window and floor; the window display too.
  const call = hall.page.locator('#calls tr.os-hall__new');
  await call.locator('th', { hasText: number }).waitFor();
  assert.equal(await call.locator('td').textContent(), 'Window 1, floor 1');
  await accessible(hall.page, 'queue-hall-called');
  await display.page.locator('#window-number', { hasText: number }).waitFor();
  assert.equal(await display.page.locator('#window-state').textContent(), 'Called');
  await accessible(display.page, 'queue-window-called');

  // Service starts and ends; the window display is free again.
  await officer.page.locator('#start:not([disabled])').click();
  await officer.page.locator('#current-state', { hasText: 'Being served' }).waitFor();
  await officer.page.locator('#finish').click();
  await officer.page.locator('#current-number', { hasText: '—' }).waitFor();
  await display.page.locator('#window-state', { hasText: 'Free' }).waitFor();
  await ticket.reload();
  assert.equal(await ticket.locator('#ticket-state').textContent(), 'Finished');

  // The feedback tablet at window 1 learns of the finished ticket from the live events and
  // takes a rating with two touches.
  await tablet.page.locator('#feedback-ticket', { hasText: number }).waitFor();
  await tablet.page.locator('#feedback-form').waitFor();
  await accessible(tablet.page, 'feedback-tablet');
  await tablet.page.locator('label[for="score-5"]').click();
  await tablet.page.locator('label[for="reason-courtesy"]').click();
  await tablet.page.locator('#rate button[type="submit"]').click();
  await tablet.page.locator('#rate-done').waitFor();
  const rates = await (await fetch(`${base}/api/v1/satisfaction?by=service`)).json();
  assert.deepEqual(rates.groups.map((g) => [g.code, g.ratings, g.rate_percent]), [['MIA-ID-CARD', 1, 100]]);

  // An analyst publishes a survey on the tablets; the tablet offers it and takes the answers.
  const analyst = await signIn('analyst');
  const post = (path, body) => analyst.page.evaluate(async ([path, body]) => {
    const me = await (await fetch('/api/v1/me')).json();
    const response = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrf_token }, body: body && JSON.stringify(body) });
    return response.status;
  }, [path, body]);
  assert.equal(await post('/api/v1/surveys', { code: 'visit', title: 'Your visit', channels: ['tablet'], questions: [
    { kind: 'scale', prompt: 'How easy was it?', min: 1, max: 5 }, { kind: 'text', prompt: 'Anything else?' }] }), 201);
  assert.equal(await post('/api/v1/surveys/visit/publish'), 200);
  await tablet.page.reload();
  await tablet.page.locator('a[href="/surveys/visit"]').click();
  await tablet.page.locator('label[for="q0-4"]').click();
  await tablet.page.locator('#q1').fill('More chairs');
  await tablet.page.locator('#survey button[type="submit"]').click();
  await tablet.page.locator('#survey-done').waitFor();
  await accessible(tablet.page, 'feedback-tablet-survey');
  const results = await analyst.page.evaluate(async () => (await fetch('/api/v1/surveys/visit/results')).json());
  assert.equal(results.responses, 1);
  assert.deepEqual(results.questions[1].tally.latest, ['More chairs']);
  await analyst.context.close();

  for (const c of [hall, display, kiosk, officer, tablet]) await c.context.close();
  await phone.close();
});

test('the complaint booth takes a complaint and shows its reference', async () => {
  const booth = await screen(tokens.kiosk, '/screens/kiosk');
  for (const lang of LANGUAGES) {
    await booth.page.goto(`${base}/screens/complaint-booth?lang=${lang}`);
    await accessible(booth.page, `complaint-booth-${lang}`);
  }
  await booth.page.locator('#category').selectOption('premises');
  await booth.page.locator('#text').fill('No ramp at the entrance');
  await booth.page.locator('#phone').fill('+994501234567');
  const sent = booth.page.waitForResponse((r) => r.url().endsWith('/api/v1/complaints'));
  await booth.page.locator('#booth-send').click();
  assert.equal((await sent).status(), 201);
  await booth.page.locator('#booth-done').waitFor();
  assert.match((await booth.page.locator('#booth-reference').textContent()).trim(), /^FB-\S{4}-\S{4}$/u);
  assert.equal(await booth.page.locator('#text').inputValue(), '', 'what was written left the screen');
  await accessible(booth.page, 'complaint-booth-sent');
  await booth.context.close();
});

test('the info desk will not issue until every document is ticked', async () => {
  const desk = await signIn('desk');
  const page = desk.page;
  await page.goto(`${base}/staff/desk?lang=en`);
  await page.locator('#id-card').fill(FIN);
  await page.locator('#service').selectOption('MIA-ID-CARD');
  const boxes = page.locator('#documents input[type=checkbox]');
  assert.ok(await boxes.count() > 0);
  // aria-disabled, not disabled: the button still explains why it will not issue.
  await page.locator('#issue').click({ force: true });
  await page.locator('#desk-error', { hasText: 'Tick every required document first.' }).waitFor();
  await accessible(page, 'queue-desk-refused');
  // USWDS draws the checkbox on its label (the input itself sits off-screen): tick by the label.
  for (const box of await boxes.all()) {
    await page.locator(`label[for="${await box.getAttribute('id')}"]`).click();
    assert.ok(await box.isChecked());
  }
  await page.locator('#priority').selectOption('elderly');
  await page.locator('#issue').click();
  await page.locator('#desk-ticket').waitFor();
  assert.match(await page.locator('#ticket-number').textContent(), /^[A-Z]-\d{3}$/);
  await accessible(page, 'queue-desk-issued');
  await desk.context.close();
});

for (const lang of LANGUAGES) {
  test(`queue pages and screens are accessible in ${lang}`, async () => {
    const anonymous = await browser.newContext();
    const page = await anonymous.newPage();
    for (const [path, name] of [['/queues', 'queues'], ['/queues/compare?service=MIA-ID-CARD', 'compare'], ['/screens/pair', 'pair']]) {
      const sep = path.includes('?') ? '&' : '?';
      const response = await page.goto(`${base}${path}${sep}lang=${lang}`);
      assert.equal(response.status(), 200);
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      await accessible(page, `${lang}-queue-${name}`);
    }
    await anonymous.close();
    for (const [token, path] of [[tokens.kiosk, '/screens/kiosk'], [tokens.hall, '/screens/hall'], [tokens.window, '/screens/window']]) {
      const s = await screen(token, path);
      await s.page.goto(`${base}${path}?lang=${lang}`);
      assert.equal(await s.page.getAttribute('html', 'lang'), lang);
      await accessible(s.page, `${lang}-queue${path.replaceAll('/', '-')}`);
      await s.context.close();
    }
    for (const [login, path] of [['officer', '/staff/window'], ['desk', '/staff/desk']]) {
      const s = await signIn(login, lang);
      const links = await s.page.locator('.usa-nav__primary a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      assert.ok(links.includes(path), `${login} is offered ${path}`);
      await s.page.goto(`${base}${path}`);
      assert.equal(await s.page.getAttribute('html', 'lang'), lang);
      await accessible(s.page, `${lang}-queue${path.replaceAll('/', '-')}`);
      await s.context.close();
    }
  });
}
