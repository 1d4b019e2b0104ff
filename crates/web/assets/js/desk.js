// The info desk: the ID card, the service, every required document ticked (the API refuses
// otherwise too), the priority group; the ticket shown with a link to print it.
(function () {
  'use strict';
  const { config, text, api, windows, show, say } = window.onestop;
  const form = document.getElementById('desk-form');
  const id = document.getElementById('id-card');
  const service = document.getElementById('service');
  const box = document.getElementById('documents');
  const hint = document.getElementById('issue-hint');
  const services = new Map();
  for (const group of config.groups || []) for (const s of group.services) services.set(s.code, s);

  function documents() {
    const s = services.get(service.value);
    box.replaceChildren();
    (s ? s.documents : []).forEach((name, index) => {
      const div = document.createElement('div');
      div.className = 'usa-checkbox';
      const input = document.createElement('input');
      input.className = 'usa-checkbox__input';
      input.type = 'checkbox';
      input.id = `document-${index}`;
      input.value = String(index);
      input.addEventListener('change', ready);
      const label = document.createElement('label');
      label.className = 'usa-checkbox__label';
      label.htmlFor = input.id;
      label.textContent = name;
      div.append(input, label);
      box.append(div);
    });
    show('documents-box', Boolean(s && s.documents.length));
    ready();
  }

  function ticked() {
    return Array.from(box.querySelectorAll('input:checked')).map((i) => Number(i.value));
  }

  function ready() {
    const all = box.querySelectorAll('input').length;
    const missing = all - ticked().length;
    hint.textContent = missing > 0 ? text('desk-tick-all') : '';
    document.getElementById('issue').setAttribute('aria-disabled', missing > 0 ? 'true' : 'false');
    return missing === 0;
  }

  id.addEventListener('keydown', (event) => {
    const lines = id.value.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
    if (event.key === 'Enter' && (lines.length >= 3 || (lines.length === 1 && lines[0].length <= 12))) {
      event.preventDefault();
      service.focus();
    }
  });
  service.addEventListener('change', documents);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    say('desk-error', '');
    if (!id.value.trim()) { say('desk-error', text('desk-id-required')); id.focus(); return; }
    if (!service.value) { say('desk-error', text('desk-service-required')); service.focus(); return; }
    if (!ready()) { say('desk-error', text('desk-tick-all')); box.querySelector('input:not(:checked)')?.focus(); return; }
    const priority = document.getElementById('priority').value || null;
    try {
      const ticket = await api('POST', `/api/v1/centres/${encodeURIComponent(config.centre)}/tickets`,
        { service: service.value, id_card: id.value.trim(), documents: ticked(), priority });
      document.getElementById('ticket-number').textContent = ticket.number;
      document.getElementById('ticket-service').textContent = ticket.service_name;
      document.getElementById('ticket-windows').textContent = windows(ticket);
      document.getElementById('ticket-ahead').textContent = text('ticket-people-ahead', { count: ticket.people_ahead ?? 0 });
      document.getElementById('ticket-wait').textContent = ticket.predicted_wait_minutes == null
        ? text('ticket-no-estimate') : text('ticket-minutes', { minutes: ticket.predicted_wait_minutes });
      document.getElementById('ticket-print').href = `/tickets/${ticket.id}/print?auto=1`;
      show('desk-ticket', true);
      form.reset();
      documents();
      document.getElementById('ticket-print').focus();
    } catch (error) {
      say('desk-error', error.message);
      document.getElementById('desk-error').focus?.();
    }
  });
  documents();
})();
