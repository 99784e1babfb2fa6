// Media helpers: uploads with progress, the soundtrack's waveform, the picture's motion beats.

/** PUTs a file where an upload ticket says, reporting progress (0..1). */
export function putWithProgress(upload, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(upload.method, upload.url);
    for (const [k, v] of Object.entries(upload.headers || {})) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error(`upload answered HTTP ${xhr.status}`)));
    xhr.onerror = () => reject(new Error('the upload could not reach storage'));
    xhr.send(file);
  });
}

/** Decodes the output's audio; returns {duration, peaks} for drawing. */
export async function decodeAudio(url) {
  const bytes = await (await fetch(url)).arrayBuffer();
  const ctx = new (window.AudioContext || window.webkitAudioContext)();
  try {
    const buf = await ctx.decodeAudioData(bytes);
    return { duration: buf.duration, samples: buf.getChannelData(0) };
  } finally {
    ctx.close();
  }
}

export function drawWaveform(canvas, audio, beats) {
  const w = canvas.width;
  const h = canvas.height;
  const g = canvas.getContext('2d');
  g.clearRect(0, 0, w, h);
  g.fillStyle = '#3b5bdb';
  const s = audio.samples;
  const per = Math.max(1, Math.floor(s.length / w));
  for (let x = 0; x < w; x++) {
    let lo = 1;
    let hi = -1;
    for (let i = x * per; i < Math.min(s.length, (x + 1) * per); i++) {
      if (s[i] < lo) lo = s[i];
      if (s[i] > hi) hi = s[i];
    }
    const y1 = ((1 - hi) / 2) * h;
    const y2 = ((1 - lo) / 2) * h;
    g.fillRect(x, y1, 1, Math.max(1, y2 - y1));
  }
  g.fillStyle = '#b3261e';
  for (const t of beats) {
    const x = Math.round((t / audio.duration) * w);
    g.fillRect(x - 1, 0, 2, h);
  }
}

/** Motion beats of a video: where motion energy changes abruptly (as the local generator finds them). */
export async function motionBeats(url, seconds) {
  const v = document.createElement('video');
  v.crossOrigin = 'anonymous';
  v.muted = true;
  v.preload = 'auto';
  v.src = url;
  await new Promise((ok, fail) => { v.onloadeddata = ok; v.onerror = () => fail(new Error('cannot read the video')); });
  const c = document.createElement('canvas');
  c.width = 64;
  c.height = 48;
  const g = c.getContext('2d', { willReadFrequently: true });
  const fps = 25;
  const end = Math.min(seconds || v.duration, v.duration);
  const energy = [];
  let prev = null;
  for (let i = 0; i / fps < end; i++) {
    v.currentTime = i / fps;
    await new Promise((ok) => { v.onseeked = ok; });
    g.drawImage(v, 0, 0, 64, 48);
    const d = g.getImageData(0, 0, 64, 48).data;
    const gray = new Float32Array(64 * 48);
    for (let k = 0; k < gray.length; k++) gray[k] = (d[4 * k] + d[4 * k + 1] + d[4 * k + 2]) / 3;
    if (prev) {
      let sum = 0;
      for (let k = 0; k < gray.length; k++) sum += Math.abs(gray[k] - prev[k]);
      energy.push({ t: (i - 0.5) / fps, e: sum / gray.length });
    }
    prev = gray;
  }
  const change = [];
  for (let i = 1; i < energy.length; i++) {
    change.push({ t: (energy[i].t + energy[i - 1].t) / 2, c: Math.abs(energy[i].e - energy[i - 1].e) });
  }
  const smooth = change.map((x, i) => ({ t: x.t, c: ((change[i - 1]?.c ?? 0) + 2 * x.c + (change[i + 1]?.c ?? 0)) / 4 }));
  const max = Math.max(0, ...smooth.map((x) => x.c));
  const beats = [];
  for (let i = 0; i < smooth.length; i++) {
    const l = smooth[i - 1]?.c ?? 0;
    const r = smooth[i + 1]?.c ?? 0;
    if (max > 0.2 && smooth[i].c >= l && smooth[i].c > r && smooth[i].c > 0.35 * max) {
      const t = smooth[i].t;
      if (beats.length && t - beats[beats.length - 1] < 0.15) continue;
      beats.push(t);
    }
  }
  return beats;
}
