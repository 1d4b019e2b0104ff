// The hall display: the latest calls (ticket → window and floor, the newest highlighted, with a
// chime) and the people waiting per service, pushed over the centre's event stream.
(function () {
  'use strict';
  const { config, text, api, follow, connection, chime, soundAllowed } = window.onestop;
  const MAX_CALLS = 8;
  const services = new Map(); // code → { name, waiting }
  const calls = document.getElementById('calls');
  const waiting = document.getElementById('waiting');
  const sound = document.getElementById('sound-on');

  function renderWaiting() {
    waiting.replaceChildren();
    for (const [code, s] of services) {
      if (!s.waiting) continue;
      const li = document.createElement('li');
      li.dataset.service = code;
      const name = document.createElement('span');
      name.textContent = s.name;
      const count = document.createElement('strong');
      count.textContent = s.waiting;
      count.setAttribute('aria-label', text('queue-waiting-count', { count: s.waiting }));
      li.append(name, count);
      waiting.append(li);
    }
  }

  async function load() {
    try {
      const queue = await api('GET', `/api/v1/centres/${encodeURIComponent(config.centre)}/queue`);
      services.clear();
      for (const s of queue.services || []) services.set(s.service, { name: s.name, waiting: s.waiting });
      renderWaiting();
    } catch { /* the stream's next event or reconnection loads it again */ }
  }

  function call(event) {
    calls.querySelector('.os-hall__empty')?.remove();
    for (const row of calls.querySelectorAll('tr.os-hall__new')) row.classList.remove('os-hall__new');
    // A recall moves the ticket's row to the top again.
    calls.querySelector(`tr[data-ticket="${CSS.escape(String(event.ticket))}"]`)?.remove();
    const row = document.createElement('tr');
    row.className = 'os-hall__new';
    row.dataset.ticket = event.ticket;
    const number = document.createElement('th');
    number.scope = 'row';
    number.textContent = event.number;
    const where = document.createElement('td');
    where.textContent = text('ticket-window-floor', { number: event.window, floor: event.floor ?? '—' });
    row.append(number, where);
    calls.prepend(row);
    while (calls.rows.length > MAX_CALLS) calls.deleteRow(calls.rows.length - 1);
    chime();
  }

  follow(config.centre, (kind, event) => {
    if (kind === 'called' || kind === 'recalled') call(event);
    if (event.service && event.waiting !== null && event.waiting !== undefined) {
      const known = services.get(event.service);
      services.set(event.service, { name: known ? known.name : (event.service_name || event.service), waiting: event.waiting });
      renderWaiting();
    }
    if (kind === 'window_opened' || kind === 'window_closed' || kind === 'closed') load();
  }, (live, recovered) => {
    connection(live);
    if (recovered) load(); // counts may have moved while the stream was down
  });

  sound.addEventListener('click', () => { chime(); sound.hidden = true; });
  if (soundAllowed()) sound.hidden = true;
  load();
})();
