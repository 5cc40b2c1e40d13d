// A small line chart on a canvas: x in epochs, one or more series, a legend. Redrawn whole on
// every update (a few hundred points at most), sized to its CSS box at the device's pixel ratio.

export interface Series {
  name: string;
  color: string;
  points: [number, number][];
  /** Draw each point as a dot (sparse series such as validation, one point per epoch). */
  dots?: boolean;
}

export interface ChartOptions {
  /** Fixed y range, else fitted to the data (from 0). */
  yMin?: number;
  yMax?: number;
  formatY: (y: number) => string;
}

export class LineChart {
  private series: Series[] = [];
  private xMax = 1;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly options: ChartOptions,
  ) {
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  set(series: Series[], xMax: number): void {
    this.series = series;
    this.xMax = Math.max(xMax, 1);
    this.draw();
  }

  draw(): void {
    const { canvas } = this;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (width === 0 || height === 0) return;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const ctx = canvas.getContext('2d')!;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);

    const all = this.series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
    const yMin = this.options.yMin ?? 0;
    let yMax = this.options.yMax ?? Math.max(...all, 0.1) * 1.1;
    if (this.options.yMax === undefined && all.length === 0) yMax = 1;
    const left = 40;
    const right = 8;
    const top = 22;
    const bottom = 22;
    const plotW = width - left - right;
    const plotH = height - top - bottom;
    const x = (v: number) => left + (v / this.xMax) * plotW;
    const y = (v: number) => top + (1 - (v - yMin) / (yMax - yMin)) * plotH;

    ctx.font = '11px system-ui, sans-serif';
    ctx.strokeStyle = '#dde1e7';
    ctx.fillStyle = '#5c6675';
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let i = 0; i <= 4; i++) {
      const v = yMin + ((yMax - yMin) * i) / 4;
      const py = Math.round(y(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(left, py);
      ctx.lineTo(width - right, py);
      ctx.stroke();
      ctx.fillText(this.options.formatY(v), left - 4, py);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const step = Math.max(1, Math.ceil(this.xMax / 8));
    for (let e = 0; e <= this.xMax; e += step) ctx.fillText(String(e), x(e), height - bottom + 5);

    for (const s of this.series) {
      ctx.strokeStyle = s.color;
      ctx.fillStyle = s.color;
      ctx.lineWidth = 2;
      ctx.beginPath();
      s.points.forEach(([px, py], i) => (i === 0 ? ctx.moveTo(x(px), y(py)) : ctx.lineTo(x(px), y(py))));
      ctx.stroke();
      if (s.dots) {
        for (const [px, py] of s.points) {
          ctx.beginPath();
          ctx.arc(x(px), y(py), 3, 0, Math.PI * 2);
          ctx.fill();
        }
      }
    }

    // Legend, top right.
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    let lx = width - right;
    for (const s of [...this.series].reverse()) {
      const w = ctx.measureText(s.name).width;
      lx -= w + 22;
      ctx.fillStyle = s.color;
      ctx.fillRect(lx, 8, 12, 3);
      ctx.fillStyle = '#1c2330';
      ctx.fillText(s.name, lx + 16, 10);
    }
  }
}
