// The console: polls the API every 2 s and shows the server and its workers, vhosts, streams
// (with a bitrate chart and a preview that plays), clients (with a kick button). Every name a
// client chose goes into the page as text, never as HTML.

import { API, AuthRequired, addresses } from './api.js';
import { BitrateChart } from './chart.js';
import { FLVPlayer } from './flv-player.js';

const POLL_MS = 2000;
const HISTORY = 90;
const PAGE = '?count=500';
const $ = (selector) => document.querySelector(selector);

/** `el('td', {class: 'n'}, 'text', node)`: an element with properties, listeners (onX) and children. */
function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

const num = (v, digits = 0) => (typeof v === 'number' ? v.toFixed(digits) : '—');
const kbps = (v) => (typeof v === 'number' ? `${Math.round(v)}` : '—');
const mb = (kb) => (typeof kb === 'number' ? `${(kb / 1024).toFixed(1)} MB` : '—');
const bytes = (b) => (typeof b !== 'number' ? '—' : b >= 1 << 30 ? `${(b / (1 << 30)).toFixed(2)} GB` : `${(b / (1 << 20)).toFixed(1)} MB`);
function duration(s) {
  if (typeof s !== 'number') return '—';
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  return d ? `${d}d ${h}h` : h ? `${h}h ${m}m` : m ? `${m}m ${Math.floor(s % 60)}s` : `${Math.floor(s)}s`;
}
/** Per-worker columns appear only when the API says which worker holds what. */
const hasWorker = (list) => list.some((x) => x.worker !== undefined);

class Console {
  constructor() {
    const { api, http } = addresses();
    this.api = new API(api);
    this.http = http;
    this.chart = new BitrateChart($('#chart'), HISTORY);
    this.player = new FLVPlayer($('#preview video'), (state, detail) => this.previewState(state, detail));
    this.history = new Map(); // stream key → [{t, in, out}]
    this.counters = new Map(); // stream key → {t, recv, send} at the last poll
    this.selected = null; // stream key shown in the chart
    this.previewing = null; // stream key playing in the preview
    this.vhosts = new Map(); // vhost id → name
    $('#address input').value = api;
    $('#address').addEventListener('submit', (e) => { e.preventDefault(); this.connect($('#address input').value); });
    $('#login form').addEventListener('submit', (e) => { e.preventDefault(); this.login(); });
    $('#preview-stop').addEventListener('click', () => { this.previewing = null; this.player.stop(); $('#preview').hidden = true; });
    this.loop();
  }

  async loop() {
    if (!$('#login').open) await this.refresh();
    setTimeout(() => this.loop(), POLL_MS);
  }

  async refresh() {
    try {
      const [summaries, streams, clients, vhosts, readiness] = await Promise.all([
        this.api.get('/api/v1/summaries'), this.api.get('/api/v1/streams/' + PAGE),
        this.api.get('/api/v1/clients/' + PAGE), this.api.get('/api/v1/vhosts/' + PAGE), this.api.readiness(),
      ]);
      this.versions ??= await this.api.get('/api/v1/versions');
      for (const v of vhosts.vhosts || []) this.vhosts.set(v.id, v.name);
      this.renderServer(summaries.data || {}, readiness);
      this.renderVhosts(vhosts.vhosts || []);
      this.renderStreams(streams.streams || []);
      this.renderClients(clients.clients || []);
      this.renderPreviewStats();
      this.status(`updated ${new Date().toLocaleTimeString()} from ${this.api.base}`);
    } catch (e) {
      if (e instanceof AuthRequired) this.askLogin(e);
      else this.status(e.message, true);
    }
  }

  status(text, error = false) {
    $('#status').textContent = text;
    $('#status').classList.toggle('error', error);
  }

  connect(address) {
    const url = new URL(/^[a-z]+:\/\//i.test(address) ? address : `http://${address}`);
    const q = new URLSearchParams(location.search);
    q.delete('api');
    q.set('host', url.hostname);
    q.set('port', url.port || (url.protocol === 'https:' ? '443' : '80'));
    if (url.protocol === 'https:') q.set('schema', 'https'); else q.delete('schema');
    location.search = q.toString();
  }

  askLogin(e) {
    const dialog = $('#login');
    let why = `The API at ${this.api.base} asks for a user and password.`;
    if (e.cors) why = `The API at ${this.api.base} needs a password but its CORS answer does not allow the Authorization header from this page's origin: open the console from the API's own address.`;
    else if (this.api.authorization) why = 'Wrong user or password.';
    this.api.logout();
    $('#login-why').textContent = why;
    this.status('waiting for credentials', true);
    if (!dialog.open) dialog.showModal();
  }

  login() {
    this.api.login($('#login-user').value, $('#login-password').value);
    $('#login-password').value = '';
    $('#login').close();
    this.refresh();
  }

  renderServer(d, readiness) {
    const self = d.self || {}, sys = d.system || {};
    const workers = Array.isArray(d.workers) ? d.workers : null;
    const state = self.state || readiness || 'unknown';
    const facts = [
      ['version', self.version || this.versions?.data?.version], ['state', state],
      ['uptime', duration(self.srs_uptime)], ['workers', workers ? workers.length : self.workers ?? '—'],
      ['generation', self.generation ?? '—'], ['cpu', `${num((self.cpu_percent ?? NaN) * 100, 1)} %`],
      ['memory', mb(self.mem_kbyte)], ['connections', sys.conn_srs ?? '—'], ['load', num(sys.load_1m, 2)],
      ['received', bytes(sys.srs_recv_bytes)], ['sent', bytes(sys.srs_send_bytes)],
    ];
    $('#facts').replaceChildren(...facts.map(([k, v]) => el('div', { class: `fact ${k === 'state' ? `state-${v}` : ''}` },
      el('span', {}, k), el('b', {}, v ?? '—'))));
    const rows = workers ? workers.map((w) => [w.index ?? '—', w.pid, w.generation ?? '—', w.state ?? '—', w.conns,
      `${num((w.cpu_percent ?? NaN) * 100, 1)} %`, mb(w.mem_kbyte), duration(w.uptime)])
      : [['all', self.pid, self.generation ?? '—', state, sys.conn_srs, `${num((self.cpu_percent ?? NaN) * 100, 1)} %`,
        mb(self.mem_kbyte), duration(self.srs_uptime)]];
    $('#workers tbody').replaceChildren(...rows.map((r) => el('tr', { class: `state-${r[3]}` }, ...r.map((v) => el('td', {}, v ?? '—')))));
    $('#workers-note').hidden = !!workers;
  }

  renderVhosts(list) {
    $('#vhosts tbody').replaceChildren(...list.map((v) => el('tr', {},
      el('td', {}, v.name), el('td', {}, v.enabled ? 'yes' : 'no'), el('td', { class: 'n' }, v.streams),
      el('td', { class: 'n' }, v.clients), el('td', { class: 'n' }, kbps(v.kbps?.recv_30s)),
      el('td', { class: 'n' }, kbps(v.kbps?.send_30s)), el('td', {}, v.hls?.enabled ? `on, ${v.hls.fragment}s` : 'off'))));
  }

  renderStreams(list) {
    const now = Date.now();
    const keys = new Set();
    const worker = hasWorker(list);
    $('#streams').classList.toggle('with-worker', worker);
    const rows = list.map((s) => {
      const key = `${s.vhost}${s.url}`;
      keys.add(key);
      const rate = this.rate(key, s, now);
      const samples = this.history.get(key) || [];
      samples.push({ t: now, ...rate });
      if (samples.length > HISTORY) samples.shift();
      this.history.set(key, samples);
      const live = s.publish?.active;
      const v = s.video, a = s.audio;
      const preview = el('button', { type: 'button', dataset: { preview: s.url }, disabled: !live,
        onclick: (e) => { e.stopPropagation(); this.preview(key, s); } }, 'preview');
      return el('tr', { class: `${key === this.selected ? 'selected' : ''} ${live ? '' : 'idle'}`, dataset: { stream: s.url, key },
        onclick: () => { this.selected = key; this.renderChart(); this.markSelected(); } },
        el('td', {}, s.url), el('td', {}, this.vhosts.get(s.vhost) || s.vhost),
        el('td', {}, live ? 'publishing' : 'no publisher'),
        el('td', {}, v ? `${v.codec} ${v.profile || ''} ${v.width}×${v.height}` : '—'),
        el('td', {}, a ? `${a.codec} ${a.sample_rate / 1000} kHz ${a.channel === 1 ? 'mono' : a.channel === 2 ? 'stereo' : `${a.channel} ch`}` : '—'),
        el('td', { class: 'n' }, Math.max(0, (s.clients || 0) - (live ? 1 : 0))),
        el('td', { class: 'n' }, kbps(rate.in)), el('td', { class: 'n' }, kbps(rate.out)),
        worker ? el('td', { class: 'n' }, s.worker ?? '—') : null, el('td', {}, preview));
    });
    for (const key of this.history.keys()) if (!keys.has(key)) { this.history.delete(key); this.counters.delete(key); }
    $('#streams tbody').replaceChildren(...rows);
    $('#streams-empty').hidden = list.length > 0;
    if (!keys.has(this.selected)) this.selected = list.length ? `${list[0].vhost}${list[0].url}` : null;
    this.markSelected();
    this.renderChart();
    // The previewed stream's publisher left: play what is buffered, then stop.
    const p = list.find((s) => `${s.vhost}${s.url}` === this.previewing);
    if (this.previewing && !p?.publish?.active) { this.previewing = null; this.player.finish(); }
  }

  /** kbps from the byte counters since the last poll; the API's 30 s average before that. */
  rate(key, s, now) {
    const prev = this.counters.get(key);
    this.counters.set(key, { t: now, recv: s.recv_bytes, send: s.send_bytes });
    const per = (a, b, avg) => (prev && now > prev.t && a >= b ? ((a - b) * 8) / (now - prev.t) : avg || 0);
    return { in: per(s.recv_bytes, prev?.recv, s.kbps?.recv_30s), out: per(s.send_bytes, prev?.send, s.kbps?.send_30s) };
  }

  markSelected() {
    for (const tr of document.querySelectorAll('#streams tbody tr')) {
      tr.classList.toggle('selected', tr.dataset.key === this.selected);
    }
  }

  renderChart() {
    $('#chart-title').textContent = this.selected ? this.selected.replace(/^[^/]*/, '') : 'no stream';
    this.chart.show(this.history.get(this.selected) || []);
  }

  renderClients(list) {
    const worker = hasWorker(list);
    $('#clients').classList.toggle('with-worker', worker);
    $('#clients tbody').replaceChildren(...list.map((c) => el('tr', { dataset: { client: c.id } },
      el('td', { class: 'mono' }, c.id), el('td', {}, c.type), el('td', {}, c.ip), el('td', {}, c.url),
      el('td', { class: 'n' }, duration(c.alive)), el('td', { class: 'n' }, kbps(c.kbps?.recv_30s)),
      el('td', { class: 'n' }, kbps(c.kbps?.send_30s)), worker ? el('td', { class: 'n' }, c.worker ?? '—') : null,
      el('td', {}, el('button', { type: 'button', class: 'kick', dataset: { kick: c.id }, onclick: (e) => this.kick(c.id, e.target) }, 'kick')))));
    $('#clients-empty').hidden = list.length > 0;
  }

  async kick(id, button) {
    button.disabled = true;
    try {
      const r = await this.api.delete(`/api/v1/clients/${encodeURIComponent(id)}`);
      $('#notice').textContent = r.code === 0 ? `kicked ${id}` : `kick ${id}: error code ${r.code}`;
    } catch (e) {
      if (e instanceof AuthRequired) return this.askLogin(e);
      $('#notice').textContent = `kick ${id}: ${e.message}`;
    }
    this.refresh();
  }

  preview(key, s) {
    this.previewing = key;
    this.selected = key;
    this.markSelected();
    this.renderChart();
    $('#preview').hidden = false;
    $('#preview-title').textContent = s.url;
    this.player.play(`${this.http}${s.url}.flv`);
  }

  previewState(state, detail) {
    $('#preview').dataset.state = state;
    $('#preview-state').textContent = detail ? `${state}: ${detail}` : state;
    $('#preview-state').classList.toggle('error', state === 'error');
  }

  renderPreviewStats() {
    const st = this.player.stats;
    const missing = st ? Object.entries(st.missing).map(([k, why]) => `no ${k} (${why})`) : [];
    $('#preview-stats').textContent = st ? [`${(st.bytes / 1024).toFixed(0)} KB received`, `${st.latency.toFixed(1)} s buffered`,
      ...(st.dropped ? [`fell behind ${st.dropped}×`] : []), ...missing].join(' · ') : '';
  }
}

window.srsConsole = new Console();
