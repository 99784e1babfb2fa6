// The timeline under the player: the video's length, the scenes Foley found (data.scenes), the
// segments asked for; drag across it (or type From/To) to mark a stretch, then add it as a segment
// for the next Generate or regenerate it in this result.

const pct = (t, seconds) => `${Math.max(0, Math.min(100, (100 * t) / seconds))}%`;

function block(cls, from, to, seconds, title, text) {
  const d = document.createElement('div');
  d.className = cls;
  d.style.left = pct(from, seconds);
  d.style.width = pct(to - from, seconds);
  d.title = title;
  if (text) d.textContent = text;
  return d;
}

/**
 * Draws the timeline of {@code seconds} into {@code box}: scenes as alternating bands with a mark at
 * each cut, segments as labelled bands; a drag marks a stretch ({@code onRange(start, end)}).
 */
export function drawTimeline(box, seconds, scenes, segments, onRange) {
  box.replaceChildren();
  box.hidden = !(seconds > 0);
  if (box.hidden) return;
  box.dataset.seconds = seconds.toFixed(3);
  (scenes || []).forEach((s, i) => {
    const b = block(`scene scene-${i % 2}`, s.start, s.end, seconds, `scene ${i + 1}: ${s.start.toFixed(2)}–${s.end.toFixed(2)} s`);
    b.dataset.start = s.start;
    box.append(b);
    if (i > 0) box.append(block('cut', s.start, s.start, seconds, `cut at ${s.start.toFixed(2)} s`));
  });
  (segments || []).filter((g) => Number.isFinite(g.start) && Number.isFinite(g.end)).forEach((g) => {
    box.append(block('segment', g.start, g.end, seconds, `${g.start}–${g.end} s: ${g.prompt}`, g.prompt));
  });
  const sel = block('selection', 0, 0, seconds, 'the stretch marked');
  sel.hidden = true;
  box.append(sel);
  const at = (ev) => {
    const r = box.getBoundingClientRect();
    return Math.max(0, Math.min(seconds, ((ev.clientX - r.left) / r.width) * seconds));
  };
  let from = null;
  box.onpointerdown = (ev) => {
    from = at(ev);
    box.setPointerCapture(ev.pointerId);
    sel.hidden = false;
    sel.style.left = pct(from, seconds);
    sel.style.width = '0%';
  };
  box.onpointermove = (ev) => {
    if (from === null) return;
    const t = at(ev);
    sel.style.left = pct(Math.min(from, t), seconds);
    sel.style.width = pct(Math.abs(t - from), seconds);
  };
  box.onpointerup = (ev) => {
    if (from === null) return;
    const t = at(ev);
    const a = Math.min(from, t);
    const b = Math.max(from, t);
    from = null;
    onRange(Math.round(a * 100) / 100, Math.round(b * 100) / 100);
  };
}
