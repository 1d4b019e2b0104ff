// Shared by the queue's pages and screens: the page's configuration and words, JSON API calls
// with the headers that authenticate them, the live event stream of a centre, a chime, durations.
(function () {
  'use strict';
  const element = document.getElementById('os-config');
  const config = element ? JSON.parse(element.textContent) : {};

  /** A message of the page's language, with {placeholders} filled in. */
  function text(key, args) {
    let s = (config.texts && config.texts[key]) || key;
    for (const [name, value] of Object.entries(args || {})) s = s.split(`{${name}}`).join(String(value));
    return s;
  }

  /** Calls the JSON API; throws an Error carrying the problem's detail and status on failure. */
  async function api(method, path, body) {
    // A paired screen's cookie is accepted only with x-onestop-device; a staff session's only
    // with its CSRF token. Cross-site pages can send neither.
    const headers = { accept: 'application/json', 'x-onestop-device': '1' };
    if (config.csrf) headers['x-csrf-token'] = config.csrf;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(path, {
      method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try { data = await response.json(); } catch { /* no body */ }
    if (!response.ok) {
      const error = new Error((data && data.detail) || response.statusText);
      error.status = response.status;
      error.problem = data;
      throw error;
    }
    return data;
  }

  const KINDS = ['issued', 'called', 'recalled', 'started', 'no_show', 'parked', 'returned', 'transferred',
    'finished', 'closed', 'window_opened', 'window_closed'];

  /**
   * Follows a centre's events. The browser's EventSource reconnects by itself and resumes with
   * Last-Event-ID; should it give up (the server refused or vanished), a new one resumes with
   * ?after= the last event seen. onStatus(true|false) says whether the stream is live.
   */
  function follow(centre, onEvent, onStatus) {
    let last = null;
    let delay = 1000;
    let source = null;
    let wasDown = false;
    function open() {
      const after = last === null ? '' : `?after=${last}`;
      source = new EventSource(`/api/v1/centres/${encodeURIComponent(centre)}/events${after}`);
      source.onopen = () => {
        delay = 1000;
        onStatus(true, wasDown);
        wasDown = false;
      };
      source.onerror = () => {
        wasDown = true;
        onStatus(false, false);
        if (source.readyState === EventSource.CLOSED) {
          setTimeout(open, delay);
          delay = Math.min(delay * 2, 30000);
        }
      };
      for (const kind of KINDS) {
        source.addEventListener(kind, (event) => {
          const id = Number(event.lastEventId);
          if (Number.isFinite(id) && last !== null && id <= last) return; // already seen
          if (Number.isFinite(id)) last = id;
          let data;
          try { data = JSON.parse(event.data); } catch { return; }
          onEvent(kind, data);
        });
      }
    }
    open();
    return { close: () => source && source.close() };
  }

  /** Shows or clears the "reconnecting" notice of a screen. */
  function connection(live) {
    document.body.dataset.live = live ? 'yes' : 'no';
    const status = document.getElementById('os-status');
    if (!status) return;
    status.textContent = live ? '' : text('screen-reconnecting');
    status.classList.toggle('os-screen__status--down', !live);
    document.body.classList.toggle('os-offline', !live);
  }

  let audio = null;
  /** A two-tone chime made with WebAudio (no sound file). */
  function chime() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === 'suspended') audio.resume();
      const t0 = audio.currentTime;
      [[880, 0], [660, 0.35]].forEach(([frequency, offset]) => {
        const oscillator = audio.createOscillator();
        const gain = audio.createGain();
        oscillator.type = 'sine';
        oscillator.frequency.value = frequency;
        gain.gain.setValueAtTime(0.0001, t0 + offset);
        gain.gain.exponentialRampToValueAtTime(0.5, t0 + offset + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, t0 + offset + 0.7);
        oscillator.connect(gain).connect(audio.destination);
        oscillator.start(t0 + offset);
        oscillator.stop(t0 + offset + 0.75);
      });
    } catch { /* no audio on this device */ }
  }

  /** Whether the browser lets the page play sound now. */
  function soundAllowed() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      return audio.state === 'running';
    } catch { return false; }
  }

  // Durations count on the server's clock: the page was rendered at config.now.
  const skew = config.now ? Date.parse(config.now) - Date.now() : 0;
  /** Seconds since an RFC 3339 time, on the server's clock. */
  function since(at) {
    return Math.max(0, Math.floor((Date.now() + skew - Date.parse(at)) / 1000));
  }
  /** 75 → "1:15", 3675 → "1:01:15". */
  function clock(seconds) {
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = String(seconds % 60).padStart(2, '0');
    return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
  }

  /** "Window 7, floor 2" for a ticket's window, or each window that serves it. */
  function windows(ticket) {
    const list = ticket.window ? [ticket.window] : (ticket.windows || []);
    return list.map((w) => text('ticket-window-floor', { number: w.number, floor: w.floor })).join('; ');
  }

  function show(id, on) {
    const node = document.getElementById(id);
    if (node) node.hidden = !on;
  }

  function say(id, message) {
    const node = document.getElementById(id);
    if (!node) return;
    const p = node.querySelector('p') || node;
    p.textContent = message;
    node.hidden = !message;
  }

  window.onestop = { config, text, api, follow, connection, chime, soundAllowed, since, clock, windows, show, say };
})();
