// The parameter form, generated from the API's own OpenAPI document: a parameter added to the API
// appears here without editing the page. Everything shown is set as text, never as HTML.

// Prompts (MMAudio's prompt, Kling's sound_effect_prompt and bgm_prompt, ...) are written in a text area.
const isPrompt = (name) => name === 'prompt' || name.endsWith('_prompt');

/**
 * The models the API offers, from its OpenAPI document: every POST that takes a JSON request
 * schema under components/schemas (so a model path added to the API appears here by itself).
 */
export async function loadModels() {
  const doc = await (await fetch('/openapi.json')).json();
  const models = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    const ref = ops.post?.requestBody?.content?.['application/json']?.schema?.$ref;
    if (!ref || !ref.startsWith('#/components/schemas/')) continue;
    const schema = resolve(doc, doc.components.schemas[ref.split('/').pop()]);
    // a model takes a video or a prompt under some name (uploads and the like take neither)
    if (!Object.keys(schema.properties || {}).some((k) => k === 'video' || isPrompt(k))) continue;
    models.push({ id: ops.post.operationId, path, summary: ops.post.summary, schema });
  }
  return models;
}

/** The schema with each property's $ref (to another schema's property) replaced by what it points at. */
function resolve(doc, schema) {
  const properties = {};
  for (const [name, p] of Object.entries(schema.properties || {})) {
    let q = p;
    while (q.$ref) {
      q = q.$ref.replace(/^#\//, '').split('/').reduce((o, k) => o[k], doc);
    }
    properties[name] = q;
  }
  return { ...schema, properties };
}

function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  }
  if (text !== undefined) e.textContent = text;
  return e;
}

function rangeText(p) {
  const parts = [];
  if (p.minimum !== undefined && p.maximum !== undefined) parts.push(`${p.minimum} to ${p.maximum}`);
  if (p.maxLength !== undefined) parts.push(`up to ${p.maxLength} characters`);
  if (p.default !== undefined && p.default !== '') parts.push(`default ${p.default}`);
  return parts.join(', ');
}

/** Builds one control per property (the video source is its own control) and returns them by name. */
export function buildFields(container, schema, previous) {
  container.replaceChildren();
  const fields = new Map();
  const required = new Set(schema.required || []);
  for (const [name, p] of Object.entries(schema.properties)) {
    if (name === 'video') continue;
    const wrap = el('div', { class: 'field', 'data-field': name });
    const id = `field-${name}`;
    const hintId = `${name}-hint`;
    const errId = `${name}-error`;
    let input;
    if (p.type === 'boolean') {
      input = el('input', { id, name, type: 'checkbox', 'aria-describedby': `${hintId} ${errId}` });
      input.checked = p.default === true;
      const label = el('label', { for: id, class: 'inline' });
      label.append(input, document.createTextNode(' ' + name));
      wrap.append(label);
    } else {
      wrap.append(el('label', { for: id }, name + (required.has(name) ? ' (required)' : '')));
      if (Array.isArray(p.enum)) {
        input = el('select', { id, name, 'aria-describedby': `${hintId} ${errId}` });
        if (p.default === undefined) input.append(el('option', { value: '' }, '(model default)'));
        for (const v of p.enum) input.append(el('option', { value: v }, String(v)));
      } else if (name === 'segments') {
        // A prompt per stretch of time, one per line ("0-12: rain on a tin roof"); the timeline adds lines too.
        input = el('textarea', { id, name, rows: 3, placeholder: '0-12: rain on a tin roof\n12-30: a busy kitchen',
          'aria-describedby': `${hintId} ${errId}` });
      } else if (p.type === 'string' && isPrompt(name)) {
        input = el('textarea', { id, name, maxlength: p.maxLength, 'aria-describedby': `${hintId} ${errId}` });
      } else if (p.type === 'integer' || p.type === 'number') {
        input = el('input', { id, name, type: 'number', min: p.minimum, max: p.maximum,
          step: p.type === 'integer' ? 1 : 'any', inputmode: p.type === 'integer' ? 'numeric' : 'decimal',
          'aria-describedby': `${hintId} ${errId}` });
      } else {
        input = el('input', { id, name, type: 'text', maxlength: p.maxLength, 'aria-describedby': `${hintId} ${errId}` });
      }
      if (p.default !== undefined && p.default !== null && p.default !== '') input.value = String(p.default);
      if (previous?.get(name) && previous.get(name).input.value !== '') input.value = previous.get(name).input.value;
      if (required.has(name)) input.setAttribute('aria-required', 'true');
      wrap.append(input);
    }
    const hint = el('span', { id: hintId, class: 'hint' }, [p.description || '', rangeText(p)].filter(Boolean).join(' · '));
    const error = el('p', { id: errId, class: 'error', role: 'alert' });
    wrap.append(hint, error);
    container.append(wrap);
    const field = { name, prop: p, input, error, required: required.has(name) };
    input.addEventListener('input', () => check(field));
    fields.set(name, field);
  }
  return fields;
}

/** Flags a value the API would refuse, before anything is sent. Returns true when it looks fine. */
export function check(f) {
  let msg = '';
  const p = f.prop;
  if (p.type === 'integer' || p.type === 'number') {
    const raw = f.input.value.trim();
    if (raw === '') {
      if (f.required) msg = 'required';
    } else {
      const n = Number(raw);
      const range = `between ${p.minimum} and ${p.maximum}`;
      if (!Number.isFinite(n) || (p.type === 'integer' && !Number.isInteger(n))
          || (p.minimum !== undefined && n < p.minimum) || (p.maximum !== undefined && n > p.maximum)) {
        msg = `must be ${p.type === 'integer' ? 'an integer' : 'a number'} ${range}, got ${raw}`;
      }
    }
  } else if (p.type === 'string') {
    if (f.required && f.input.value.trim() === '') msg = 'required';
  }
  setError(f, msg);
  return msg === '';
}

export function setError(f, msg) {
  f.error.textContent = msg ? `${f.name}: ${msg}` : '';
  if (msg) f.input.setAttribute('aria-invalid', 'true'); else f.input.removeAttribute('aria-invalid');
}

/** The request body: every filled control, typed as the schema says. */
export function collect(fields) {
  const body = {};
  for (const f of fields.values()) {
    const p = f.prop;
    if (p.type === 'boolean') {
      if (f.input.checked || p.default === true) body[f.name] = f.input.checked;
      continue;
    }
    const raw = f.input.value;
    if (raw.trim() === '' && !f.required) continue;
    if (f.name === 'segments') {
      body.segments = parseSegments(raw);
      continue;
    }
    if (f.input.tagName === 'SELECT' && raw === String(p.default ?? '')) continue; // the default: left to the API
    body[f.name] = (p.type === 'integer' || p.type === 'number') && raw.trim() !== '' && Number.isFinite(Number(raw))
      ? Number(raw) : raw;
  }
  return body;
}

/**
 * Segments from the text box, one per line: "START-END: prompt" (seconds). A line that does not
 * read so is sent as its prompt alone, so the API names what is missing (segments[i].start).
 */
export function parseSegments(text) {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).map((line) => {
    const m = line.match(/^([\d.]+)\s*[-–]\s*([\d.]+)\s*[:=]\s*(.+)$/);
    return m ? { start: Number(m[1]), end: Number(m[2]), prompt: m[3].trim() } : { prompt: line };
  });
}

/** A segment as a line of the text box. */
export function segmentLine(start, end, prompt) {
  const n = (x) => String(Math.round(x * 100) / 100);
  return `${n(start)}-${n(end)}: ${prompt}`;
}
