// A ticket followed on a phone: its state, the people ahead and the predicted wait, every 30 s.
(function () {
  'use strict';
  const { config, text, api, windows } = window.onestop;
  async function refresh() {
    let ticket;
    try { ticket = await api('GET', `/api/v1/tickets/${config.ticket}`); } catch { return; }
    document.getElementById('ticket-state').textContent = text(`ticket-state-${ticket.state}`);
    document.getElementById('ticket-ahead').textContent = ticket.people_ahead ?? '—';
    document.getElementById('ticket-wait').textContent = ticket.predicted_wait_minutes == null
      ? text('ticket-no-estimate') : text('ticket-minutes', { minutes: ticket.predicted_wait_minutes });
    document.getElementById('ticket-window').textContent = windows(ticket);
    if (ticket.state === 'finished') {
      clearInterval(timer);
      const note = document.getElementById('ticket-refresh');
      if (note) note.hidden = true;
    }
  }
  const timer = setInterval(refresh, 30000);
})();
