import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** One line of a {@link TimeChart}: y values aligned with the chart's x values (null = gap). */
export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
  /** Dashed, without points: for thresholds. */
  dashed?: boolean;
  /** Drawn as bars (filled with `color`) rather than a line: for counts per period. */
  bars?: boolean;
}

interface TimeChartProps {
  /** Accessible name, also the visible title. */
  title: string;
  unit: string;
  /** x values, ms since the epoch, ascending. */
  times: number[];
  series: ChartSeries[];
  height?: number;
}

/** A small uPlot chart over time (lines, or bars per series); resizes with its container. */
export function TimeChart({ title, unit, times, series, height = 160 }: TimeChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = series.map((s) => `${s.label}|${s.color}|${s.dashed ? 1 : 0}|${s.bars ? 1 : 0}`).join(',');

  // (Re)create the plot when the set of series changes; otherwise only its data.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        { stroke: '#555', grid: { stroke: '#eee' } },
        { stroke: '#555', grid: { stroke: '#eee' }, size: 56, label: unit, labelSize: 18 },
      ],
      series: [
        {},
        ...series.map(
          (s): uPlot.Series =>
            s.bars
              ? {
                  label: s.label,
                  stroke: s.color,
                  fill: s.color,
                  width: 1,
                  paths: barPaths,
                  points: { show: false },
                }
              : {
                  label: s.label,
                  stroke: s.color,
                  width: s.dashed ? 1.5 : 2,
                  ...(s.dashed ? { dash: [6, 4], points: { show: false } } : { points: { size: 4 } }),
                  spanGaps: false,
                },
        ),
      ],
    };
    const p = new uPlot(opts, toData(times, series), el);
    plot.current = p;
    const resize = new ResizeObserver(() => p.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      p.destroy();
      plot.current = null;
    };
  }, [shape, height, unit]);

  useEffect(() => {
    plot.current?.setData(toData(times, series));
  }, [times, series]);

  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} role="img" aria-label={`${title} chart`} />
    </figure>
  );
}

/** Bars 60 % of the x step wide, at most 40 px. */
const barPaths = uPlot.paths.bars?.({ size: [0.6, 40] });

function toData(times: number[], series: ChartSeries[]): uPlot.AlignedData {
  return [times.map((t) => t / 1000), ...series.map((s) => s.values)];
}
