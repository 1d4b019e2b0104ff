// The feedback tablet at a window and the exit poll: a touch-first rating form. The tablet learns
// of the ticket just finished at its window from the centre's live events; the exit poll rates
// the visit. Without this script the exit poll's form posts as a plain form.
(function () {
  'use strict';
  const { config, api, follow, connection, show } = window.onestop;
  const form = document.getElementById('rate');
  if (!form) return;
  let ticket = config.ticket || null;
  let timer = null;

  function ready(id, number) {
    ticket = id;
    clearTimeout(timer);
    form.reset();
    const label = document.getElementById('feedback-ticket');
    if (label) label.textContent = window.onestop.text('feedback-ticket', { number });
    show('feedback-ticket', true);
    show('feedback-waiting', false);
    show('feedback-form', true);
    show('rate', true);
    show('rate-done', false);
    show('rate-failed', false);
  }

  function done() {
    show('rate', false);
    show('rate-done', true);
    timer = setTimeout(() => {
      form.reset();
      show('rate-done', false);
      if (config.mode === 'tablet') {
        ticket = null;
        show('feedback-form', false);
        show('feedback-ticket', false);
        show('feedback-waiting', true);
      } else {
        show('rate', true);
      }
    }, 8000);
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const score = Number(data.get('score'));
    if (!score) { document.getElementById('score-5').focus(); return; }
    const body = { score, reasons: data.getAll('reasons'), comment: data.get('comment') || null };
    const path = config.mode === 'tablet'
      ? `/api/v1/tickets/${encodeURIComponent(ticket)}/rating`
      : `/api/v1/centres/${encodeURIComponent(config.centre)}/exit-poll`;
    show('rate-failed', false);
    try {
      await api('POST', path, body);
      done();
    } catch (error) {
      // Already rated counts as done; anything else is told.
      if (error.status === 409) done(); else show('rate-failed', true);
    }
  });

  if (config.mode === 'tablet') {
    follow(config.centre, (kind, event) => {
      if (kind === 'finished' && event.window === config.window && event.ticket) ready(event.ticket, event.number);
    }, (live) => connection(live));
  }
})();
