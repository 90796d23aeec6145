// A live bitrate chart on a canvas: received and sent kbps of one stream over the last samples.

const COLORS = { in: '#2f7de1', out: '#1aa06d' };

export class BitrateChart {
  constructor(canvas, capacity = 90) {
    this.canvas = canvas;
    this.capacity = capacity;
    this.samples = []; // [{t, in, out}], oldest first
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  /** Shows `samples` ({t: ms, in: kbps, out: kbps}); keeps the last `capacity` of them. */
  show(samples) {
    this.samples = samples.slice(-this.capacity);
    this.draw();
  }

  draw() {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const width = c.clientWidth || 600, height = c.clientHeight || 180;
    if (c.width !== Math.round(width * dpr)) c.width = Math.round(width * dpr);
    if (c.height !== Math.round(height * dpr)) c.height = Math.round(height * dpr);
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, width, height);
    const pad = { l: 52, r: 10, t: 22, b: 20 };
    const w = width - pad.l - pad.r, h = height - pad.t - pad.b;
    const max = niceMax(Math.max(1, ...this.samples.flatMap((s) => [s.in, s.out])));
    g.font = '11px system-ui, sans-serif';
    g.strokeStyle = '#e3e6ea';
    g.fillStyle = '#6b7280';
    g.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = pad.t + h - (h * i) / 4;
      g.beginPath(); g.moveTo(pad.l, y + 0.5); g.lineTo(pad.l + w, y + 0.5); g.stroke();
      g.fillText(`${+((max * i) / 4).toFixed(max < 10 ? 1 : 0)}`, 6, y + 4);
    }
    g.fillText('kbps', 6, 12);
    const span = (this.capacity - 1) * 2000;
    const now = this.samples.length ? this.samples[this.samples.length - 1].t : 0;
    g.fillText(`last ${Math.round(span / 60000)} min`, pad.l + w - 60, pad.t + h + 15);
    for (const key of ['in', 'out']) {
      g.strokeStyle = COLORS[key];
      g.lineWidth = 2;
      g.beginPath();
      this.samples.forEach((s, i) => {
        const x = pad.l + w - ((now - s.t) / span) * w;
        const y = pad.t + h - (Math.min(s[key], max) / max) * h;
        if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
      });
      g.stroke();
    }
    const last = this.samples[this.samples.length - 1];
    let x = pad.l;
    for (const key of ['in', 'out']) {
      g.fillStyle = COLORS[key];
      g.fillRect(x, 6, 10, 10);
      g.fillStyle = '#374151';
      const label = `${key === 'in' ? 'received' : 'sent'} ${last ? Math.round(last[key]) : 0} kbps`;
      g.fillText(label, x + 14, 15);
      x += g.measureText(label).width + 30;
    }
  }
}

function niceMax(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}
