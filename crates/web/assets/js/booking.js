// The booking form's proof of work: before the form is sent, fetch a challenge and find a nonce
// such that SHA-256("challenge:nonce") starts with the required zero bits (about a second in a
// browser at the default difficulty), then submit with both in hidden fields.
(function () {
  'use strict';
  const form = document.getElementById('booking-form');
  const status = document.getElementById('pow-status');
  const configElement = document.getElementById('os-config');
  if (!form || !configElement) return;
  const config = JSON.parse(configElement.textContent);
  const encoder = new TextEncoder();

  function zeroBits(bytes) {
    let bits = 0;
    for (const b of bytes) {
      if (b === 0) { bits += 8; continue; }
      bits += Math.clz32(b) - 24;
      break;
    }
    return bits;
  }

  async function solve(challenge, difficulty) {
    for (let n = 0; ; n++) {
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(`${challenge}:${n}`)));
      if (zeroBits(digest) >= difficulty) return String(n);
    }
  }

  let solved = false;
  form.addEventListener('submit', async (event) => {
    if (solved || !config.difficulty) return;
    event.preventDefault();
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    status.textContent = config.texts.working;
    try {
      const response = await fetch('/api/v1/appointments/challenge', { headers: { accept: 'application/json' } });
      const c = await response.json();
      document.getElementById('pow_challenge').value = c.challenge;
      document.getElementById('pow_nonce').value = await solve(c.challenge, c.difficulty);
      solved = true;
      form.submit();
    } catch (e) {
      status.textContent = config.texts.failed;
      button.disabled = false;
    }
  });
})();
