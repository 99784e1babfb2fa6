// The Foley playground. Plain ES modules, no framework: it speaks the same API as any client.
import { loadModels, buildFields, check, setError, collect, segmentLine } from './form.js';
import { putWithProgress, decodeAudio, drawWaveform, motionBeats } from './media.js';
import { drawTimeline } from './timeline.js';

const $ = (id) => document.getElementById(id);
const EXAMPLES = [
  'A rubber ball bouncing on a wooden floor in an empty room',
  'Heavy rain on a tin roof, distant thunder',
  'Footsteps on gravel, wind in the trees',
  'A campfire crackling at night, crickets',
  'Glass shatters on a tiled kitchen floor',
  'Waves crashing on a rocky shore, seagulls',
];
const KEY_STORE = 'foley.apiKey';

let fields;
let models = [];
let uploadedFile = null;
let config = { devKey: null, pricePerSecondUsd: 0.001 };
let lastRequest = null;
let timer = null;
/** The completed prediction shown (its id is what "Regenerate this stretch" redoes), and the segments it was asked with. */
let shown = null;
let shownSegments = [];

function key() {
  return $('api-key').value.trim();
}

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${key()}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  let json = null;
  try {
    json = await r.json();
  } catch {
    json = { code: r.status, message: `HTTP ${r.status}`, data: null };
  }
  return { status: r.status, json };
}

function setStatus(text, failed = false) {
  $('status').textContent = text;
  $('status').classList.toggle('failed', failed);
}

function mode() {
  return document.querySelector('input[name=mode]:checked').value;
}

function model() {
  return models.find((m) => m.id === mode()) || models[0];
}

function takesVideo() {
  return Boolean(model().schema.properties.video);
}

function usd(n) {
  return `$${n.toFixed(3)}`;
}

/** Takes asked for in the form (each is charged). */
function takes() {
  const t = fields.get('num_samples');
  return t ? Number(t.input.value || t.prop.default || 1) || 1 : 1;
}

function showPrice() {
  const f = fields.get('duration');
  const raw = f.input.value || f.prop.default;
  const d = Number(raw) * takes();
  $('price').textContent = raw === undefined || raw === ''
    ? `Price: ${usd(config.pricePerSecondUsd)} per second of video`
    : Number.isFinite(d) ? `Price: ${usd(d * config.pricePerSecondUsd)}` : '';
}

async function upload() {
  const file = $('file').files[0];
  if (!file) {
    $('upload-status').textContent = 'Choose a file first.';
    return false;
  }
  $('upload-status').textContent = 'Asking for an upload ticket…';
  const t = await api('POST', '/api/v3/media/uploads', { filename: file.name, size: file.size, content_type: file.type || undefined });
  if (t.status !== 200) {
    $('upload-status').textContent = `Upload refused: ${t.json.message}`;
    return false;
  }
  const bar = $('upload-progress');
  bar.hidden = false;
  bar.value = 0;
  try {
    await putWithProgress(t.json.data.upload, file, (f) => { bar.value = Math.round(f * 100); });
    bar.value = 100;
    $('video').value = t.json.data.download_url;
    uploadedFile = file;
    $('upload-status').textContent = `Uploaded ${file.name} (${file.size} bytes).`;
    return true;
  } catch (e) {
    $('upload-status').textContent = `Upload failed: ${e.message}`;
    return false;
  }
}

function clearErrors() {
  $('form-error').textContent = '';
  $('video-error').textContent = '';
  $('video').removeAttribute('aria-invalid');
  for (const f of fields.values()) setError(f, '');
}

function showApiError(res) {
  const errors = res.json.errors || [];
  let placed = false;
  for (const e of errors) {
    const f = fields.get(e.field);
    if (f) {
      setError(f, e.message);
      placed = true;
    } else if (e.field === 'video') {
      $('video-error').textContent = `video: ${e.message}`;
      $('video').setAttribute('aria-invalid', 'true');
      placed = true;
    }
  }
  const prefix = res.status === 401 ? 'Not authorized' : `Refused (${res.status})`;
  $('form-error').textContent = placed && errors.length === errors.filter((e) => fields.get(e.field) || e.field === 'video').length
    ? `${prefix}: see the fields marked below.` : `${prefix}: ${res.json.message}`;
  setStatus(`${prefix}: ${res.json.message}`, true);
}

async function generate(ev) {
  ev.preventDefault();
  clearErrors();
  for (const f of fields.values()) check(f); // flags, but the API has the last word
  const body = collect(fields);
  if (takesVideo()) {
    // A file chosen but not uploaded yet (or another one since) goes up first.
    const file = $('file').files[0];
    if (file && file !== uploadedFile) {
      setStatus('Uploading the file first…');
      if (!(await upload())) {
        setStatus('The file could not be uploaded: see above.', true);
        return;
      }
    }
    body.video = $('video').value.trim();
  }
  const path = model().path;
  lastRequest = { url: new URL(path, location.href).href, body };
  $('copy-curl').disabled = false;
  $('copy-js').disabled = false;
  resetResult();
  setStatus('Submitting…');
  const res = await api('POST', path, body);
  if (res.status !== 200) {
    showApiError(res);
    return;
  }
  shownSegments = Array.isArray(body.segments) ? body.segments : [];
  const seconds = body.duration ?? fields.get('duration').prop.default;
  follow(res.json.data, seconds === undefined ? undefined : Number(seconds) * (body.num_samples ?? 1));
}

function resetResult() {
  clearInterval(timer);
  $('player').replaceChildren();
  $('waveform').hidden = true;
  $('download').hidden = true;
  $('beats').textContent = '';
  $('quality').hidden = true;
  $('takes').replaceChildren();
  $('windows').hidden = true;
  $('timeline').hidden = true;
  $('stretch').hidden = true;
  $('stretch-error').textContent = '';
}

/** The timeline of a result: its length, the scenes found, the segments asked for; a drag fills the stretch panel. */
function showTimeline(d, seconds) {
  shown = d;
  drawTimeline($('timeline'), seconds, d.scenes, shownSegments, (a, b) => {
    $('stretch-from').value = a;
    $('stretch-to').value = b;
    $('stretch-prompt').focus();
  });
  $('stretch').hidden = false;
}

/** The stretch panel's range, or null (with the reason shown) when it is not one. */
function stretch() {
  const a = Number($('stretch-from').value);
  const b = Number($('stretch-to').value);
  if ($('stretch-from').value === '' || $('stretch-to').value === '' || !(b > a)) {
    $('stretch-error').textContent = 'Mark a stretch: drag across the timeline, or type From and To (To after From).';
    return null;
  }
  $('stretch-error').textContent = '';
  return { start: a, end: b };
}

function addSegment() {
  const r = stretch();
  if (!r) return;
  const f = fields.get('segments');
  const prompt = $('stretch-prompt').value.trim();
  if (!f) {
    $('stretch-error').textContent = `${model().summary} takes no segments.`;
    return;
  }
  if (!prompt) {
    $('stretch-error').textContent = 'A segment needs its own prompt.';
    return;
  }
  f.input.value = (f.input.value.trim() ? f.input.value.trim() + '\n' : '') + segmentLine(r.start, r.end, prompt);
  $('stretch-error').textContent = `Added to segments: Generate again to use it.`;
}

async function regenerate() {
  const r = stretch();
  if (!r || !shown) return;
  const body = { start: r.start, end: r.end };
  const prompt = $('stretch-prompt').value.trim();
  if (prompt) body.prompt = prompt;
  setStatus('Submitting the stretch…');
  const res = await api('POST', `/api/v3/predictions/${shown.id}/regenerate`, body);
  if (res.status !== 200) {
    $('stretch-error').textContent = `Refused (${res.status}): ${res.json.message}`;
    setStatus(`Refused (${res.status}): ${res.json.message}`, true);
    return;
  }
  const keep = shownSegments;
  resetResult();
  shownSegments = prompt ? [] : keep;
  follow(res.json.data, r.end - r.start);
}

/** A long prediction's windows, as data.progress counts them. */
function showWindows(progress) {
  if (!progress) return '';
  const bar = $('windows');
  bar.hidden = progress.windows_total === 0;
  bar.max = Math.max(1, progress.windows_total);
  bar.value = progress.windows_done;
  return progress.windows_total === 0 ? ' · cutting the video into windows' : ` · windows ${progress.windows_done}/${progress.windows_total}`
    + (progress.takes_total ? ` (takes ${progress.takes_done}/${progress.takes_total})` : '');
}

function follow(data, requested) {
  const started = performance.now();
  let price = requested === undefined ? `${usd(config.pricePerSecondUsd)}/s` : usd(Number(requested) * config.pricePerSecondUsd);
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const r = await fetch(data.urls.get, { headers: { Authorization: `Bearer ${key()}` } });
      const j = await r.json();
      const d = j.data || {};
      const elapsed = ((performance.now() - started) / 1000).toFixed(1);
      const windows = showWindows(d.progress);
      if (d.status === 'completed') {
        clearInterval(timer);
        setStatus(`completed in ${elapsed} s · ${price}`);
        await showResult(d);
        refresh();
      } else if (d.status === 'failed' || d.status === 'cancelled') {
        clearInterval(timer);
        setStatus(`${d.status === 'failed' ? 'Failed' : 'Cancelled'}: ${d.error || 'no reason given'}`, true);
        refresh();
      } else {
        setStatus(`${d.status || 'waiting'} · ${elapsed} s · ${price}${windows}`);
      }
    } finally {
      busy = false;
    }
  };
  setStatus(`${data.status} · 0.0 s · ${price}`);
  timer = setInterval(tick, 700);
  tick();
}

/** The sound check (data.quality[0]) in words; every value shown as text. */
function qualityText(q) {
  if (!q) return '';
  const parts = [];
  if (q.sync) {
    parts.push(q.sync.offset_ms === null
      ? `sync: cannot tell (${q.sync.reason})`
      : `sync ${q.sync.offset_ms > 0 ? '+' : ''}${q.sync.offset_ms} ms, confidence ${q.sync.confidence}`
        + ` (${q.sync.confidence >= 0.5 ? 'clear' : q.sync.confidence >= 0.2 ? 'weak' : 'cannot tell'})`);
  }
  const l = q.loudness || {};
  parts.push(l.integrated_lufs === null ? 'loudness: silent' : `${l.integrated_lufs} LUFS, true peak ${l.true_peak_dbtp} dBTP`
    + (l.target_lufs !== undefined ? ` (target ${l.target_lufs})` : ''));
  if (q.flags && q.flags.length) parts.push(`flags: ${q.flags.join(', ')}`);
  return `Sound check: ${parts.join(' · ')}`;
}

/** With takes: the others after the best (shown above), each playable, with its score and check, as text. */
function showTakes(d) {
  const box = $('takes');
  box.replaceChildren();
  if (d.windows) showWindowTakes(d.windows, box);
  if (!d.takes || d.takes.length < 2) return;
  const first = $('quality');
  first.textContent = `Take 1 of ${d.takes.length} (the best, asked ${d.takes[0].index + 1}; score ${d.takes[0].score}). ${first.textContent}`;
  d.takes.slice(1).forEach((t, i) => {
    const fig = document.createElement('figure');
    const url = d.outputs[i + 1];
    const media = document.createElement(new URL(url).pathname.endsWith('.mp4') ? 'video' : 'audio');
    media.controls = true;
    media.preload = 'none';
    media.src = url;
    const cap = document.createElement('figcaption');
    cap.textContent = `Take ${i + 2} (asked ${t.index + 1}; score ${t.score}). ${qualityText(t.quality)}`;
    fig.append(media, cap);
    box.append(fig);
  });
}

/** A long video's takes: for each window, the take joined and why (each take's score and sync), as a list. */
function showWindowTakes(windows, box) {
  const list = document.createElement('ol');
  list.className = 'window-takes';
  for (const w of windows) {
    const li = document.createElement('li');
    const each = w.takes.map((t) => `take ${t.index + 1}: score ${t.score}`
      + (t.quality.sync && t.quality.sync.offset_ms !== null ? `, sync ${t.quality.sync.offset_ms > 0 ? '+' : ''}${t.quality.sync.offset_ms} ms` : ''));
    li.textContent = `Window ${w.index + 1} (${w.start}–${w.end} s): take ${w.take + 1} joined (${each.join('; ')})`;
    list.append(li);
  }
  box.append(list);
}

async function showResult(d) {
  const q = $('quality');
  q.textContent = qualityText(d.quality && d.quality[0]);
  q.hidden = !q.textContent;
  showTakes(d);
  const url = d.outputs[0];
  const isVideo = new URL(url).pathname.endsWith('.mp4');
  const media = document.createElement(isVideo ? 'video' : 'audio');
  media.controls = true;
  media.crossOrigin = 'anonymous';
  media.src = url;
  media.id = 'output';
  $('player').append(media);
  const a = $('download');
  a.href = url;
  a.hidden = false;
  a.textContent = `Download the ${isVideo ? 'video' : 'audio'}`;
  try {
    const audio = await decodeAudio(url);
    media.dataset.audioSeconds = audio.duration.toFixed(3);
    let beats = [];
    if (isVideo) {
      beats = await motionBeats(url, audio.duration);
      $('beats').textContent = `Motion beats (red): ${beats.map((t) => t.toFixed(2) + ' s').join(', ') || 'none'}`;
    }
    $('waveform').hidden = false;
    drawWaveform($('waveform'), audio, beats);
    showTimeline(d, audio.duration);
  } catch (e) {
    $('beats').textContent = `The waveform could not be drawn here (${e.message}); the file is fine.`;
    const timeline = () => showTimeline(d, media.duration);
    if (media.readyState >= 1) timeline(); else media.addEventListener('loadedmetadata', timeline, { once: true });
  }
}

function snippet(kind) {
  if (!lastRequest) return '';
  const body = JSON.stringify(lastRequest.body);
  if (kind === 'curl') {
    return `curl -s ${lastRequest.url} \\\n  -H "Authorization: Bearer $FOLEY_KEY" -H "Content-Type: application/json" \\\n  -d '${body.replace(/'/g, "'\\''")}'`;
  }
  return `const r = await fetch(${JSON.stringify(lastRequest.url)}, {\n  method: 'POST',\n`
    + `  headers: { Authorization: \`Bearer \${process.env.FOLEY_KEY}\`, 'Content-Type': 'application/json' },\n`
    + `  body: JSON.stringify(${body}),\n});\nconsole.log((await r.json()).data);`;
}

async function copy(kind) {
  const text = snippet(kind);
  $('snippet').hidden = false;
  $('snippet').textContent = text;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // shown below the buttons either way
  }
}

async function refresh() {
  if (!key()) return;
  const list = await api('GET', '/api/v3/predictions?limit=20');
  const tbody = document.querySelector('#history tbody');
  tbody.replaceChildren();
  if (list.status !== 200) {
    $('usage').textContent = `History unavailable: ${list.json.message}`;
    return;
  }
  for (const p of list.json.data.items) {
    const tr = document.createElement('tr');
    const cells = [p.created_at.replace('T', ' ').slice(0, 19), p.status, p.input?.prompt ?? p.input?.sound_effect_prompt ?? '', String(p.input?.duration ?? ''),
      usd(p.cost_usd || 0)];
    cells.forEach((t, i) => {
      const td = document.createElement('td');
      td.textContent = t;
      if (i === 2) td.className = 'prompt';
      tr.append(td);
    });
    const links = document.createElement('td');
    // The result URL needs the key, so it is shown (to copy), not linked; the output is a plain link.
    const id = document.createElement('code');
    id.textContent = p.id.slice(0, 8);
    id.title = p.urls.get;
    links.append(id);
    if (p.outputs && p.outputs[0]) {
      const o = document.createElement('a');
      o.href = p.outputs[0];
      o.textContent = 'output';
      links.append(document.createTextNode(' '), o);
    }
    tr.append(links);
    tbody.append(tr);
  }
  const today = new Date().toISOString().slice(0, 10);
  const month = today.slice(0, 8) + '01';
  const u = await api('GET', `/api/v3/usage?from=${month}&to=${today}`);
  if (u.status === 200) {
    const d = u.json.data;
    const t = d.days.find((x) => x.date === today) || { seconds: 0, cost_usd: 0 };
    $('usage').textContent = `Today: ${t.seconds} s, ${usd(t.cost_usd)} · This month: ${d.total.seconds} s, ${usd(d.total.cost_usd)}`;
  }
}

async function main() {
  try {
    config = await (await fetch('/playground/config.json')).json();
  } catch {
    // defaults
  }
  const stored = sessionStorage.getItem(KEY_STORE);
  $('api-key').value = stored || config.devKey || '';
  $('api-key').addEventListener('input', () => sessionStorage.setItem(KEY_STORE, key()));
  models = await loadModels();
  const modes = $('modes');
  models.forEach((m, i) => {
    const label = document.createElement('label');
    label.className = 'inline';
    const radio = document.createElement('input');
    radio.type = 'radio';
    radio.name = 'mode';
    radio.value = m.id;
    radio.checked = i === 0;
    label.append(radio, document.createTextNode(' ' + m.summary));
    modes.append(label);
  });
  fields = buildFields($('fields'), model().schema);
  for (const text of EXAMPLES) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'chip';
    b.textContent = text;
    b.addEventListener('click', () => {
      // the model's prompt, under whatever name it takes it (Kling: sound_effect_prompt)
      const name = [...fields.keys()].find((k) => k === 'prompt') ?? [...fields.keys()].find((k) => k.endsWith('_prompt') && k !== 'negative_prompt');
      if (name) { fields.get(name).input.value = text; check(fields.get(name)); }
    });
    $('examples').append(b);
  }
  const onModel = () => {
    fields = buildFields($('fields'), model().schema, fields);
    fields.get('duration').input.addEventListener('input', showPrice);
    fields.get('num_samples')?.input.addEventListener('input', showPrice);
    $('video-source').hidden = !takesVideo();
    showPrice();
  };
  onModel();
  for (const r of document.querySelectorAll('input[name=mode]')) {
    r.addEventListener('change', onModel);
  }
  $('upload').addEventListener('click', upload);
  $('job').addEventListener('submit', generate);
  $('copy-curl').addEventListener('click', () => copy('curl'));
  $('copy-js').addEventListener('click', () => copy('js'));
  $('refresh').addEventListener('click', refresh);
  $('add-segment').addEventListener('click', addSegment);
  $('regenerate').addEventListener('click', regenerate);
  document.body.dataset.ready = 'true';
  refresh();
}

main();
