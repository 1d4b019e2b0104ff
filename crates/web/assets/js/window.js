// The window display: the ticket called to this window, its holder, and a live service duration.
(function () {
  'use strict';
  const { config, text, api, follow, connection, since, clock } = window.onestop;
  let current = null;
  const number = document.getElementById('window-number');
  const holder = document.getElementById('window-holder');
  const state = document.getElementById('window-state');
  const timer = document.getElementById('window-timer');

  async function load() {
    let win;
    try { win = await api('GET', `/api/v1/windows/${encodeURIComponent(config.window)}`); } catch { return; }
    current = win.current;
    if (!current) {
      number.textContent = '—';
      holder.textContent = '';
      state.textContent = text('window-free');
      timer.textContent = '';
      return;
    }
    number.textContent = current.number;
    holder.textContent = current.holder ? current.holder.name || current.holder.fin_masked : text('window-holder-unknown');
    state.textContent = text(current.state === 'serving' ? 'window-serving' : 'window-called');
    tick();
  }

  function tick() {
    timer.textContent = current && current.called_at ? clock(since(current.called_at)) : '';
  }

  follow(config.centre, (kind, event) => {
    if (event.window === config.number || (current && event.ticket === current.id)) load();
  }, (live, recovered) => {
    connection(live);
    if (recovered) load();
  });
  setInterval(tick, 1000);
  load();
})();
