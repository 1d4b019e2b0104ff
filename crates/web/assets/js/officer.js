// The officer console: sign in to a window, call and serve tickets, follow the centre live.
(function () {
  'use strict';
  const { config, text, api, follow, connection, since, clock, show, say } = window.onestop;
  const picker = document.getElementById('window');
  let mine = null; // the window JSON of the window this officer holds
  let queue = new Map(); // service code → { name, waiting }
  const $ = (id) => document.getElementById(id);

  function path(action) { return `/api/v1/windows/${encodeURIComponent(mine.centre + ':' + mine.number)}/${action}`; }

  function render(win) {
    mine = win && win.officer === config.login ? win : null;
    show('console', Boolean(mine));
    show('window-form', !mine);
    if (!mine) return;
    $('console-window').textContent = text('officer-signed-in', { number: mine.number, floor: mine.floor });
    const t = mine.current;
    $('current-number').textContent = t ? t.number : '—';
    $('current-service').textContent = t ? t.service_name : text('officer-none');
    $('current-holder').textContent = t && t.holder ? `${t.holder.name || ''} ${t.holder.fin_masked || ''}`.trim() : '';
    $('current-state').textContent = t ? text(`ticket-state-${t.state}`) : '';
    const parked = $('parked');
    parked.replaceChildren();
    for (const p of mine.parked || []) {
      const li = document.createElement('li');
      li.textContent = `${p.number} — ${p.service_name}`;
      parked.append(li);
    }
    for (const id of ['recall', 'start', 'no-show', 'finish', 'park', 'transfer']) $(id).disabled = !t;
    $('start').disabled = !t || t.state !== 'called';
    $('recall').disabled = !t || t.state !== 'called';
    $('no-show').disabled = !t || t.state !== 'called';
    $('call-next').disabled = Boolean(t);
    // Documents are accepted while the ticket is being served (a server-rendered form).
    $('accept-link').hidden = !t || t.state !== 'serving';
    if (t) $('accept-link').href = `/staff/window/accept?ticket=${encodeURIComponent(t.id)}`;
    tick();
    renderWaiting();
  }

  function renderWaiting() {
    const list = $('waiting');
    list.replaceChildren();
    for (const code of (mine && mine.services) || []) {
      const s = queue.get(code);
      if (!s) continue;
      const li = document.createElement('li');
      li.textContent = `${s.name}: ${text('queue-waiting-count', { count: s.waiting })}`;
      list.append(li);
    }
  }

  function tick() {
    const t = mine && mine.current;
    $('current-timer').textContent = t && t.called_at ? clock(since(t.called_at)) : '';
  }

  async function loadQueue() {
    try {
      const q = await api('GET', `/api/v1/centres/${encodeURIComponent(config.centre)}/queue`);
      queue = new Map((q.services || []).map((s) => [s.service, { name: s.name, waiting: s.waiting }]));
      renderWaiting();
    } catch { /* shown on the next event */ }
  }

  async function reload() {
    if (!mine) return;
    try { render(await api('GET', `/api/v1/windows/${encodeURIComponent(mine.centre + ':' + mine.number)}`)); } catch { /* keep */ }
  }

  async function act(action, body, done) {
    say('officer-message', '');
    try {
      const answer = await api('POST', path(action), body);
      say('officer-message', done(answer));
      await reload();
    } catch (error) {
      say('officer-message', error.message);
    }
  }

  const ticket = () => mine && mine.current && mine.current.id;

  $('window-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    say('officer-message', '');
    try {
      render(await api('POST', `/api/v1/windows/${encodeURIComponent(picker.value)}/sign-in`));
      loadQueue();
    } catch (error) { say('officer-message', error.message); }
  });
  $('sign-out').addEventListener('click', async () => {
    try { await api('POST', path('sign-out')); render(null); say('officer-message', text('officer-signed-out')); } catch (error) { say('officer-message', error.message); }
  });
  $('call-next').addEventListener('click', () => act('call-next', undefined, (a) => (a.ticket
    ? `${text('officer-called', { ticket: a.ticket.number })} ${a.rule ? text(`officer-rule-${a.rule}`) : ''}`
    : text('officer-no-one-waiting'))));
  for (const [id, action] of [['recall', 'recall'], ['start', 'start'], ['no-show', 'no-show']]) {
    $(id).addEventListener('click', () => act(action, { ticket: ticket() }, () => text('officer-done')));
  }
  $('finish').addEventListener('click', () => {
    const outcome = document.querySelector('input[name="outcome"]:checked').value;
    const reason = $('finish-reason').value.trim();
    if (outcome === 'not_served' && !reason) { say('officer-message', text('officer-reason-required')); $('finish-reason').focus(); return; }
    act('finish', outcome === 'served' ? { ticket: ticket(), outcome } : { ticket: ticket(), outcome, reason }, () => {
      $('finish-reason').value = '';
      return text('officer-done');
    });
  });
  $('park').addEventListener('click', () => act('park', { ticket: ticket(), reason: $('park-reason').value, note: $('park-note').value.trim() }, () => {
    $('park-note').value = '';
    return text('officer-done');
  }));
  $('transfer').addEventListener('click', () => {
    const service = $('transfer-service').value;
    const window = Number($('transfer-window').value);
    const body = service ? { ticket: ticket(), service } : { ticket: ticket(), window };
    if (!service && !window) return;
    act('transfer', body, () => text('officer-done'));
  });

  follow(config.centre, (kind, event) => {
    if (event.service && event.waiting !== null && event.waiting !== undefined) {
      const known = queue.get(event.service);
      queue.set(event.service, { name: known ? known.name : event.service_name, waiting: event.waiting });
      renderWaiting();
    }
    if (mine && (event.window === mine.number || (mine.current && event.ticket === mine.current.id))) reload();
  }, (live, recovered) => {
    document.body.dataset.live = live ? 'yes' : 'no';
    if (!live) say('officer-message', text('screen-reconnecting'));
    else if (recovered) { say('officer-message', ''); reload(); loadQueue(); }
  });
  setInterval(tick, 1000);

  // Already holding one of these windows (a reload, another tab)? Continue there.
  (async () => {
    const ids = Array.from(picker.options).map((o) => o.value);
    const wins = await Promise.all(ids.map((id) => api('GET', `/api/v1/windows/${encodeURIComponent(id)}`).catch(() => null)));
    const held = wins.find((w) => w && w.officer === config.login);
    if (held) render(held);
    loadQueue();
  })();
})();
