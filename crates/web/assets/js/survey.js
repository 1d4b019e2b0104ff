// A survey on a paired screen (a feedback tablet): answers go to the API, which records them as
// the tablet channel. In an ordinary browser the form posts without this script.
(function () {
  'use strict';
  const { config, api, show } = window.onestop;
  const form = document.getElementById('survey');
  if (!form || !config.device) return;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const answers = config.questions.map((q, i) => {
      const value = String(data.get(`q${i}`) || '').trim();
      return q.kind === 'text' ? value : (value === '' ? null : Number(value));
    });
    show('survey-failed', false);
    try {
      await api('POST', `/api/v1/surveys/${encodeURIComponent(config.code)}/responses`, { answers });
      show('survey', false);
      show('survey-done', true);
    } catch (error) {
      const box = document.getElementById('survey-failed');
      box.querySelector('p').textContent = error.message;
      box.hidden = false;
    }
  });
})();
