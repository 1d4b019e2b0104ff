// The self-service kiosk: the ID card (typed, or the three MRZ lines a keyboard-wedge card reader
// types followed by Enter), one touch on a service, the ticket shown and printed; or an online
// appointment checked in by its reference (typed, or scanned from its QR code by a reader that
// types it followed by Enter).
(function () {
  'use strict';
  const { config, text, api, windows, show, say } = window.onestop;
  const id = document.getElementById('id-card');
  const buttons = Array.from(document.querySelectorAll('.os-kiosk__service'));
  const reference = document.getElementById('appointment-ref');
  const checkIn = document.getElementById('check-in-button');
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
    reference.value = '';
    checkIn.disabled = false;
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
      shown(ticket);
    } catch (error) {
      say('kiosk-error', `${text('kiosk-failed')} ${error.message}`);
      buttons.forEach((b) => { b.disabled = false; });
    } finally {
      document.getElementById('os-status').textContent = '';
    }
  }

  /** Shows `ticket` and opens its print page; the kiosk starts over after 30 seconds. */
  function shown(ticket) {
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
  }

  /** Checks the appointment with the typed or scanned reference in: its ticket is shown. */
  async function checkInAppointment() {
    const ref = reference.value.trim().toUpperCase();
    if (!ref) {
      say('kiosk-error', text('kiosk-check-in-first'));
      reference.focus();
      return;
    }
    checkIn.disabled = true;
    say('kiosk-error', '');
    document.getElementById('os-status').textContent = text('kiosk-checking-in');
    try {
      const done = await api('POST', `/api/v1/appointments/${encodeURIComponent(ref)}/check-in`);
      reference.value = '';
      shown(done.ticket);
    } catch (error) {
      say('kiosk-error', `${text('kiosk-check-in-failed')} ${error.message}`);
      checkIn.disabled = false;
      reference.focus();
    } finally {
      document.getElementById('os-status').textContent = '';
    }
  }

  buttons.forEach((b) => b.addEventListener('click', () => issue(b.dataset.service)));
  document.getElementById('check-in').addEventListener('submit', (event) => {
    event.preventDefault();
    checkInAppointment();
  });
  document.getElementById('kiosk-again').addEventListener('click', start);
})();
