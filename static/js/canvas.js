/**
 * Canvas sizing shared by every view that draws on a canvas.
 *
 * fitCanvas(canvas, ctx) sizes the backing store to the element's CSS box at the device pixel
 * ratio (sharp on a projector or a high-density screen) and sets the context to draw in CSS
 * pixels. It returns {w, h, resized}, or null when the canvas has no size (a hidden panel).
 * With `fallback`, a canvas not laid out yet uses its width and height attributes.
 */
export function fitCanvas(canvas, ctx, fallback = false) {
  const dpr = globalThis.devicePixelRatio || 1;
  const w = canvas.clientWidth || (fallback ? canvas.width : 0);
  const h = canvas.clientHeight || (fallback ? canvas.height : 0);
  if (!w || !h) return null;
  const W = Math.round(w * dpr), H = Math.round(h * dpr);
  const resized = canvas.width !== W || canvas.height !== H;
  if (resized) {
    canvas.width = W;
    canvas.height = H;
  }
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return { w, h, resized };
}

/**
 * The start every view's draw() shares: size the canvas (fitCanvas), clear it, and read the ink
 * colour and font size its CSS gives it. Returns {w, h, resized, ink, fontPx}, or null when the
 * canvas has no size or when `needed(resized)` (optional) says there is nothing to redraw.
 */
export function beginDraw(canvas, ctx, needed = null) {
  const fit = fitCanvas(canvas, ctx);
  if (!fit || (needed && !needed(fit.resized))) return null;
  ctx.clearRect(0, 0, fit.w, fit.h);
  const style = getComputedStyle(canvas);
  return { ...fit, ink: style.color || "#222", fontPx: Math.round(parseFloat(style.fontSize) || 14) };
}
