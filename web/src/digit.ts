/**
 * The digit pad: draw with mouse, pen or finger; turned into a 28×28 MNIST-style input
 * (ink bounding box scaled to 20 px, centred by its centre of mass, pixels 0..255, white on black).
 */
export class DigitPad {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private last?: [number, number];
  private inked = false;
  onChange: () => void = () => {};

  constructor(canvas: HTMLCanvasElement) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    this.clear();
    canvas.addEventListener('pointerdown', (e) => {
      canvas.setPointerCapture(e.pointerId);
      this.last = this.point(e);
      this.stroke(this.last);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (this.last) this.stroke(this.point(e));
    });
    const end = () => {
      if (this.last) this.onChange();
      this.last = undefined;
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  get empty(): boolean {
    return !this.inked;
  }

  clear(): void {
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.inked = false;
    this.onChange();
  }

  private point(e: PointerEvent): [number, number] {
    const r = this.canvas.getBoundingClientRect();
    return [((e.clientX - r.left) * this.canvas.width) / r.width, ((e.clientY - r.top) * this.canvas.height) / r.height];
  }

  private stroke(p: [number, number]): void {
    const c = this.ctx;
    c.strokeStyle = '#fff';
    c.lineWidth = this.canvas.width / 12;
    c.lineCap = 'round';
    c.lineJoin = 'round';
    c.beginPath();
    c.moveTo(...(this.last ?? p));
    c.lineTo(...p);
    c.stroke();
    this.last = p;
    this.inked = true;
  }

  /** The drawing as 784 pixels 0..255 (row-major 28×28), or undefined when nothing is drawn. */
  toMnist(): number[] | undefined {
    const { width: W, height: H } = this.canvas;
    const src = this.ctx.getImageData(0, 0, W, H).data;
    let [x0, y0, x1, y1] = [W, H, -1, -1];
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++)
        if (src[4 * (y * W + x)]! > 32) [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    if (x1 < 0) return undefined;
    // Scale the ink's bounding box so its longer side is 20 px (as in MNIST), keeping the aspect ratio.
    const bw = x1 - x0 + 1;
    const bh = y1 - y0 + 1;
    const k = 20 / Math.max(bw, bh);
    const sw = Math.max(1, Math.round(bw * k));
    const sh = Math.max(1, Math.round(bh * k));
    const small = new OffscreenCanvas(28, 28);
    const sctx = small.getContext('2d', { willReadFrequently: true })!;
    sctx.imageSmoothingEnabled = true;
    sctx.imageSmoothingQuality = 'high';
    sctx.fillStyle = '#000';
    sctx.fillRect(0, 0, 28, 28);
    sctx.drawImage(this.canvas, x0, y0, bw, bh, 0, 0, sw, sh);
    const px = sctx.getImageData(0, 0, sw, sh).data;
    const g = Array.from({ length: sw * sh }, (_, i) => px[4 * i]!);
    // Centre of mass → (14, 14).
    let [m, mx, my] = [0, 0, 0];
    g.forEach((v, i) => {
      m += v;
      mx += v * (i % sw);
      my += v * Math.floor(i / sw);
    });
    const dx = Math.round(14 - (mx / m + 0.5));
    const dy = Math.round(14 - (my / m + 0.5));
    const out = new Array<number>(784).fill(0);
    g.forEach((v, i) => {
      const x = (i % sw) + dx;
      const y = Math.floor(i / sw) + dy;
      if (x >= 0 && x < 28 && y >= 0 && y < 28) out[y * 28 + x] = v;
    });
    return out;
  }
}
