// The electronic complaint booth of a centre: the complaint or suggestion is sent through the API
// with the booth's device token (its channel is "booth", its centre the booth's), and the reference
// is shown to write down; the form clears itself after a minute so the next visitor starts afresh.
(function () {
  'use strict';
  const { config, text, api, show, say } = window.onestop;
  const form = document.getElementById('booth');
  const send = document.getElementById('booth-send');
  let reset = null;

  function value(id) {
    const v = document.getElementById(id).value.trim();
    return v === '' ? undefined : v;
  }

  function start() {
    clearTimeout(reset);
    form.reset();
    send.disabled = false;
    say('booth-error', '');
    show('booth-done', false);
    show('booth-start', true);
    document.getElementById('category').focus();
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    send.disabled = true;
    say('booth-error', '');
    document.getElementById('os-status').textContent = text('booth-sending');
    try {
      const complaint = await api('POST', '/api/v1/complaints', {
        category: value('category') ?? '',
        text: value('text') ?? '',
        name: value('name'),
        email: value('email'),
        phone: value('phone'),
        subject_kind: 'centre',
        subject: config.centre,
      });
      form.reset(); // what the visitor wrote leaves the screen at once
      document.getElementById('booth-reference').textContent = complaint.reference;
      document.getElementById('booth-due').textContent = complaint.due_on;
      show('booth-start', false);
      show('booth-done', true);
      document.getElementById('booth-again').focus();
      reset = setTimeout(start, 60000);
    } catch (error) {
      say('booth-error', `${text('booth-failed')} ${error.message}`);
      send.disabled = false;
    } finally {
      document.getElementById('os-status').textContent = '';
    }
  });
  document.getElementById('booth-again').addEventListener('click', start);
})();
