// The hosted API's official JS SDK (npm `wavespeed`), unchanged but for its base URL.
// Run by local/src/test/java/dev/foley/local/SdkCompatTest.java against a running local Foley
// (FOLEY_BASE_URL, FOLEY_API_KEY); runnable by hand the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, WavespeedTimeoutException, WavespeedSubmissionException } from 'wavespeed';

const baseUrl = process.env.FOLEY_BASE_URL;
const apiKey = process.env.FOLEY_API_KEY;
const client = new Client(apiKey, { baseUrl, maxConnectionRetries: 0 });
const video = { video: 'https://cdn.example.com/bounce-4s.mp4', prompt: 'a rubber ball bounces on a wooden floor', duration: 4 };

async function api(method, path) {
  const r = await fetch(baseUrl + path, { method, headers: { Authorization: `Bearer ${apiKey}` } });
  return [r.status, await r.json()];
}

test('submits and polls video-to-audio through the SDK', async () => {
  // Nothing finishes the prediction yet in this test, so the SDK polls until its own timeout.
  const res = await client.runNoThrow('wavespeed-ai/mmaudio-v2', video, { timeout: 1.5, pollInterval: 0.2 });
  assert.equal(res.outputs, null);
  assert.ok(res.detail.error instanceof WavespeedTimeoutException, String(res.detail.error));
  assert.match(res.detail.taskId, /^[0-9a-f]{32}$/);
  const [status, body] = await api('GET', `/api/v3/predictions/${res.detail.taskId}/result`);
  assert.equal(status, 200);
  assert.equal(body.data.status, 'processing'); // handed to the provider at once
  assert.equal(body.data.model, 'wavespeed-ai/mmaudio-v2');
});

test('text-to-audio model id routes to the text endpoint', async () => {
  const res = await client.runNoThrow('wavespeed-ai/mmaudio-v2/text-to-audio', { prompt: 'thunder', duration: 3 },
    { timeout: 0.6, pollInterval: 0.2 });
  const [, body] = await api('GET', `/api/v3/predictions/${res.detail.taskId}/result`);
  assert.equal(body.data.model, 'wavespeed-ai/mmaudio-v2/text-to-audio');
});

test("Foley's long model runs through the SDK unchanged, and its own limits come back as 400s", async () => {
  const res = await client.runNoThrow('foley/mmaudio-v2-long', { video: video.video, prompt: 'footsteps' },
    { timeout: 0.6, pollInterval: 0.2 });
  assert.match(res.detail.taskId, /^[0-9a-f]{32}$/);
  const [, body] = await api('GET', `/api/v3/predictions/${res.detail.taskId}/result`);
  assert.equal(body.data.model, 'foley/mmaudio-v2-long');
  assert.equal(typeof body.data.progress.windows_total, 'number');
  await assert.rejects(
    client.run('foley/mmaudio-v2-long', { ...video, window_seconds: 12 }, { timeout: 5 }),
    (e) => e instanceof WavespeedSubmissionException && /window_seconds: must be an integer between 4 and 10, got 12/.test(e.message));
});

test('a cancelled prediction ends the SDK wait with the API error text', async () => {
  const [, created] = await api('GET', '/api/v3/predictions?limit=1');
  const before = created.data.items.length ? created.data.items[0].id : null;
  const running = client.run('wavespeed-ai/mmaudio-v2', video, { timeout: 20, pollInterval: 0.2 });
  // Find the new prediction and cancel it from outside, as a second client would.
  let id = null;
  for (let i = 0; i < 50 && !id; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const [, list] = await api('GET', '/api/v3/predictions?limit=1');
    const newest = list.data.items[0];
    if (newest && newest.id !== before) id = newest.id;
  }
  assert.ok(id, 'the SDK submitted a prediction');
  const [status] = await api('POST', `/api/v3/predictions/${id}/cancel`);
  assert.equal(status, 200);
  await assert.rejects(running, /Prediction failed .*cancelled by the client/);
});

test('a bad request surfaces the 400 message through the SDK', async () => {
  await assert.rejects(
    client.run('wavespeed-ai/mmaudio-v2', { ...video, duration: 45 }, { timeout: 5 }),
    (e) => e instanceof WavespeedSubmissionException && /HTTP 400/.test(e.message)
      && /duration: must be an integer between 1 and 30, got 45/.test(e.message));
});

test('an unknown key is refused with 401', async () => {
  const bad = new Client('fk_not-a-key', { baseUrl });
  await assert.rejects(bad.run('wavespeed-ai/mmaudio-v2', video, { timeout: 5 }), /HTTP 401/);
});

test('the SDK upload flow: ticket, PUT to S3, download_url as video', async () => {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const file = path.resolve('../resources/media/bounce-4s.mp4');
  const url = await client.upload(file);
  assert.match(url, /^http/);
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  assert.equal(bytes.length, fs.statSync(file).size);
  const res = await client.runNoThrow('wavespeed-ai/mmaudio-v2', { video: url, prompt: 'a ball', duration: 4 },
    { timeout: 0.6, pollInterval: 0.2 });
  const [status, body] = await api('GET', `/api/v3/predictions/${res.detail.taskId}/result`);
  assert.equal(status, 200);
  assert.equal(body.data.status, 'processing');
});
