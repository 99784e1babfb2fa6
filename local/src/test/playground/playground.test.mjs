// The playground in a real browser: Debian's chromium, driven by playwright-core, against a running
// `./foley serve` (FOLEY_BASE_URL, FOLEY_DEV_KEY). Screenshots go to FOLEY_SHOTS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import path from 'node:path';

const base = process.env.FOLEY_BASE_URL;
const devKey = process.env.FOLEY_DEV_KEY;
const shots = process.env.FOLEY_SHOTS || '.';
const clip = path.resolve('../resources/media/bounce-4s.mp4');
let browser;

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });
});
after(async () => { await browser?.close(); });

async function open(viewport = { width: 1100, height: 1400 }) {
  const page = await browser.newPage({ viewport });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(base + '/');
  await page.waitForSelector('body[data-ready=true]', { timeout: 20000 });
  return { page, errors };
}

test('upload a clip, generate, and the video plays with a soundtrack of the requested length', async () => {
  const { page, errors } = await open();
  assert.equal(await page.inputValue('#api-key'), devKey, 'local mode pre-fills its dev key');
  await page.setInputFiles('#file', clip);
  await page.click('#upload');
  await page.waitForFunction(() => document.getElementById('video').value.startsWith('http'), null, { timeout: 20000 });
  assert.equal(await page.getAttribute('#upload-progress', 'value'), '100');
  await page.fill('#field-prompt', 'a rubber ball bouncing on a wooden floor');
  await page.fill('#field-duration', '4');
  await page.click('#generate');
  await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('completed'), null, { timeout: 90000 });
  await page.waitForSelector('#output[data-audio-seconds]', { timeout: 30000 });
  const seconds = Number(await page.getAttribute('#output', 'data-audio-seconds'));
  assert.ok(Math.abs(seconds - 4) < 0.1, `audio track of ${seconds} s`);
  const src = await page.getAttribute('#output', 'src');
  assert.ok(src.startsWith('http'));
  await page.waitForFunction(() => document.getElementById('output').readyState >= 2, null, { timeout: 20000 });
  await page.waitForFunction(() => document.getElementById('beats').textContent.length > 0, null, { timeout: 30000 });
  const beats = await page.textContent('#beats');
  assert.match(beats, /Motion beats/);
  const found = [...beats.matchAll(/(\d+\.\d+) s/g)].map((m) => Number(m[1]));
  for (const impact of [0.5, 1.5, 2.5, 3.5]) {
    assert.ok(found.some((t) => Math.abs(t - impact) <= 0.08), `a motion beat near ${impact} s in "${beats}"`);
  }
  assert.match(await page.textContent('#status'), /\$0\.004/);
  // The sound check, shown as the API reports it.
  assert.match(await page.textContent('#quality'), /^Sound check: sync [-+]?\d+ ms, confidence [\d.]+ \((clear|weak|cannot tell)\) · -?[\d.]+ LUFS, true peak/);
  await page.click('#copy-curl');
  assert.match(await page.textContent('#snippet'), /curl -s .*mmaudio-v2/);
  await page.waitForFunction(() => document.querySelectorAll('#history tbody tr').length > 0);
  await page.screenshot({ path: path.join(shots, 'generated.png'), fullPage: true });
  assert.deepEqual(errors, []);
});

test('takes: on a wide screen the form and the result sit side by side; the best take first, the other playable beside it', async () => {
  const { page, errors } = await open({ width: 1400, height: 1200 });
  const form = await page.locator('#job').boundingBox();
  const result = await page.locator('#result-h').boundingBox();
  assert.ok(result.x > form.x + form.width - 1, `the result is beside the form (${form.x}+${form.width} / ${result.x})`);
  await page.setInputFiles('#file', clip);
  await page.click('#upload');
  await page.waitForFunction(() => document.getElementById('video').value.startsWith('http'), null, { timeout: 20000 });
  await page.fill('#field-prompt', 'a rubber ball bouncing on a wooden floor');
  await page.fill('#field-duration', '4');
  await page.fill('#field-num_samples', '2');
  assert.match(await page.textContent('#price'), /\$0\.008/, 'two takes of 4 s are charged as 8 s');
  await page.click('#generate');
  await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('completed'), null, { timeout: 90000 });
  assert.match(await page.textContent('#quality'), /^Take 1 of 2 \(the best, asked [12]; score -?[\d.]+\)\. Sound check: /);
  assert.equal(await page.locator('#takes figure').count(), 1);
  assert.match(await page.textContent('#takes figcaption'), /^Take 2 \(asked [12]; score -?[\d.]+\)\. Sound check: /);
  assert.equal(await page.locator('#takes figure video').count(), 1, 'the other take plays too');
  await page.screenshot({ path: path.join(shots, 'takes-wide.png'), fullPage: true });
  assert.deepEqual(errors, []);
});

test('text-to-audio: the video source goes away and the audio plays at the requested length', async () => {
  const { page, errors } = await open();
  await page.check('input[name=mode][value=submitTextToAudio]');
  assert.equal(await page.isVisible('#video'), false);
  await page.click('#examples button >> nth=1');
  assert.match(await page.inputValue('#field-prompt'), /rain/i);
  await page.fill('#field-duration', '3');
  await page.click('#generate');
  await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('completed'), null, { timeout: 60000 });
  await page.waitForSelector('audio#output[data-audio-seconds]', { timeout: 30000 });
  const seconds = Number(await page.getAttribute('#output', 'data-audio-seconds'));
  assert.ok(Math.abs(seconds - 3) < 0.1, `audio of ${seconds} s`);
  assert.deepEqual(errors, []);
});

test('long model: a chosen file is uploaded by Generate itself, the windows show as they finish, and each window says which take it joined', async () => {
  const { page, errors } = await open();
  await page.check('input[name=mode][value=submitLongVideoToAudio]');
  assert.equal(await page.isVisible('#field-window_seconds'), true, "the long model's own fields, from the OpenAPI document");
  assert.equal(await page.evaluate(() => document.getElementById('field-output_format').tagName), 'SELECT');
  await page.setInputFiles('#file', clip); // chosen, not uploaded
  await page.fill('#field-prompt', 'a rubber ball bouncing on a wooden floor');
  await page.fill('#field-window_seconds', '4');
  await page.selectOption('#field-output_format', 'wav');
  await page.fill('#field-num_samples', '2');
  await page.click('#generate');
  await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('completed'), null, { timeout: 120000 });
  assert.match(await page.textContent('#upload-status'), /Uploaded bounce-4s\.mp4/);
  assert.equal(await page.locator('#takes ol.window-takes li').count(), 1, 'one window of 4 s');
  assert.match(await page.textContent('#takes ol.window-takes li'),
    /^Window 1 \(0–4 s\): take [12] joined \(take 1: score -?[\d.]+(, sync [+-]?\d+ ms)?; take 2: score -?[\d.]+/);
  assert.ok(Number(await page.getAttribute('#windows', 'max')) >= 1, 'the windows were counted');
  await page.waitForSelector('audio#output[data-audio-seconds]', { timeout: 30000 });
  const seconds = Number(await page.getAttribute('#output', 'data-audio-seconds'));
  assert.ok(Math.abs(seconds - 4) < 0.1, `a WAV of ${seconds} s`);
  assert.match(await page.getAttribute('#output', 'src'), /\.wav/);
  assert.deepEqual(errors, []);
});

test('scenes and segments: the timeline shows the cuts, a dragged stretch becomes a segment, and a stretch is regenerated', async () => {
  const { page, errors } = await open();
  await page.check('input[name=mode][value=submitLongVideoToAudio]');
  await page.setInputFiles('#file', process.env.FOLEY_THREE_SHOTS);
  await page.fill('#field-prompt', 'a ball bouncing');
  await page.fill('#field-duration', ''); // the whole video (the short model's 8 s default is carried over otherwise)
  await page.selectOption('#field-output_format', 'wav');
  await page.fill('#field-segments', '0-4: engine hum');
  await page.click('#generate');
  await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('completed'), null, { timeout: 120000 });
  await page.waitForSelector('#timeline:not([hidden]) .scene', { timeout: 30000 });
  const cuts = await page.$$eval('#timeline .scene', (els) => els.map((e) => Number(e.dataset.start)));
  assert.equal(cuts.length, 3, `three scenes: ${cuts}`);
  assert.ok(Math.abs(cuts[1] - 4) < 0.05 && Math.abs(cuts[2] - 8) < 0.05, `cuts near 4 and 8 s: ${cuts}`);
  assert.equal(await page.locator('#timeline .segment').count(), 1, 'the segment asked for is drawn');
  const firstId = await page.evaluate(() => new URL(document.getElementById('download').href).pathname.split('/').slice(-2)[0]);
  // Drag from about 8.5 s to 11.5 s of 12.
  const box = await page.locator('#timeline').boundingBox();
  await page.mouse.move(box.x + box.width * (8.5 / 12), box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * (11.5 / 12), box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  const from = Number(await page.inputValue('#stretch-from'));
  const to = Number(await page.inputValue('#stretch-to'));
  assert.ok(Math.abs(from - 8.5) < 0.3 && Math.abs(to - 11.5) < 0.3, `marked ${from}-${to}`);
  await page.fill('#stretch-prompt', 'birds chirping');
  await page.click('#add-segment');
  assert.match(await page.inputValue('#field-segments'), /0-4: engine hum\n8\.\d+-11\.\d+: birds chirping/);
  await page.click('#regenerate');
  await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('completed'), null, { timeout: 120000 });
  await page.waitForSelector('audio#output[data-audio-seconds]', { timeout: 30000 });
  const redoId = await page.evaluate(() => new URL(document.getElementById('download').href).pathname.split('/').slice(-2)[0]);
  assert.notEqual(redoId, firstId, 'the regenerate is a prediction of its own');
  const seconds = Number(await page.getAttribute('#output', 'data-audio-seconds'));
  assert.ok(Math.abs(seconds - 12) < 0.1, `the whole result again: ${seconds} s`);
  assert.match(await page.textContent('#status'), /\$0\.003/, 'priced for the 3 s stretch');
  await page.screenshot({ path: path.join(shots, 'timeline.png'), fullPage: true });
  assert.deepEqual(errors, []);
});

test('an out-of-range duration shows the API message next to the field', async () => {
  const { page } = await open();
  await page.fill('#video', 'https://example.com/clip.mp4');
  await page.fill('#field-prompt', 'rain');
  await page.fill('#field-duration', '45');
  await page.click('#generate');
  await page.waitForFunction(() => document.getElementById('form-error').textContent.includes('Refused (400)'));
  assert.equal(await page.textContent('#duration-error'), 'duration: must be an integer between 1 and 30, got 45');
  assert.equal(await page.getAttribute('#field-duration', 'aria-invalid'), 'true');
  await page.screenshot({ path: path.join(shots, 'bad-duration.png'), fullPage: true });
});

test('a wrong key shows the 401 message', async () => {
  const { page } = await open();
  await page.fill('#api-key', 'fk_not-a-real-key');
  await page.fill('#video', 'https://example.com/clip.mp4');
  await page.fill('#field-prompt', 'rain');
  await page.click('#generate');
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('invalid API key'));
  assert.match(await page.textContent('#status'), /Not authorized/);
  await page.screenshot({ path: path.join(shots, 'wrong-key.png') });
});

test('the form has a labelled control for every parameter of the OpenAPI document', async () => {
  const { page } = await open({ width: 375, height: 900 });
  const result = await page.evaluate(async () => {
    const doc = await (await fetch('/openapi.json')).json();
    const names = Object.keys(doc.components.schemas.VideoToAudioRequest.properties);
    const controls = {};
    for (const n of names) {
      const c = document.querySelector(`[name="${n}"]`);
      controls[n] = c ? Boolean(document.querySelector(`label[for="${c.id}"]`) || c.closest('label')) : null;
    }
    const unlabelled = [...document.querySelectorAll('input, textarea, select')].filter((c) => c.type !== 'hidden'
      && !document.querySelector(`label[for="${c.id}"]`) && !c.closest('label') && !c.getAttribute('aria-label')).map((c) => c.id);
    return { names, controls, unlabelled, scroll: document.documentElement.scrollWidth };
  });
  for (const n of result.names) assert.equal(result.controls[n], true, `a labelled control for ${n}`);
  assert.deepEqual(result.unlabelled, []);
  assert.ok(result.scroll <= 375, `fits 375 px wide (scroll width ${result.scroll})`);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'api-key', 'keyboard reaches the first control');
  await page.screenshot({ path: path.join(shots, 'narrow.png'), fullPage: true });
});
