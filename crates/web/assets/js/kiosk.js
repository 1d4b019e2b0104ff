// The self-service kiosk: the ID card (typed, or the three MRZ lines a keyboard-wedge card reader
// types followed by Enter), one touch on a service, the ticket shown and printed.
(function () {
  'use strict';
  const { config, text, api, windows, show, say } = window.onestop;
  const id = document.getElementById('id-card');
  const buttons = Array.from(document.querySelectorAll('.os-kiosk__service'));
  let reset = null;

  /** Whether the field holds a whole read: a national ID number, or the three lines of the MRZ. */
  function complete(value) {
    const lines = value.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
    return lines.length >= 3 || (lines.length === 1 && lines[0].length <= 12);
  }

  id.addEventListener('keydown', (event) => {
    // The reader presses Enter after each MRZ line: keep the line breaks until the read is whole.
    if (event.key === 'Enter' && complete(id.value)) {
      event.preventDefault();
      say('kiosk-error', '');
      buttons[0]?.focus();
    }
  });

  function start() {
    clearTimeout(reset);
    id.value = '';
    show('kiosk-ticket', false);
    show('kiosk-start', true);
    say('kiosk-error', '');
    buttons.forEach((b) => { b.disabled = false; });
    id.focus();
  }

  async function issue(service) {
    const card = id.value.trim();
    if (!card) {
      say('kiosk-error', text('kiosk-id-first'));
      id.focus();
      return;
    }
    buttons.forEach((b) => { b.disabled = true; });
    say('kiosk-error', '');
    document.getElementById('os-status').textContent = text('kiosk-issuing');
    try {
      const ticket = await api('POST', `/api/v1/centres/${encodeURIComponent(config.centre)}/tickets`,
        { service, id_card: card, documents: [], priority: null });
      id.value = ''; // the card's data leaves the screen at once
      document.getElementById('ticket-number').textContent = ticket.number;
      document.getElementById('ticket-service').textContent = ticket.service_name;
      document.getElementById('ticket-windows').textContent = windows(ticket);
      document.getElementById('ticket-ahead').textContent = text('ticket-people-ahead', { count: ticket.people_ahead ?? 0 });
      document.getElementById('ticket-wait').textContent = ticket.predicted_wait_minutes == null
        ? text('ticket-no-estimate') : text('ticket-minutes', { minutes: ticket.predicted_wait_minutes });
      const print = `/tickets/${ticket.id}/print?auto=1`;
      document.getElementById('ticket-print').href = print;
      show('kiosk-start', false);
      show('kiosk-ticket', true);
      document.getElementById('kiosk-again').focus();
      window.open(print, '_blank', 'noopener');
      reset = setTimeout(start, 30000);
    } catch (error) {
      say('kiosk-error', `${text('kiosk-failed')} ${error.message}`);
      buttons.forEach((b) => { b.disabled = false; });
    } finally {
      document.getElementById('os-status').textContent = '';
    }
  }

  buttons.forEach((b) => b.addEventListener('click', () => issue(b.dataset.service)));
  document.getElementById('kiosk-again').addEventListener('click', start);
})();
