/** A time-series line chart with uPlot (small, fast, canvas). The data is also given as text for screen readers. */
import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'

export function LineChart(props: { label: string; series: string; data: [number[], number[]]; height?: number }) {
  const box = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | undefined>(undefined)

  useEffect(() => {
    const el = box.current!
    const opts: uPlot.Options = {
      width: Math.max(240, el.clientWidth),
      height: props.height ?? 220,
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.2))] } },
      axes: [{}, { label: props.series, size: 50 }],
      series: [{}, { label: props.series, stroke: '#2563eb', width: 2, fill: 'rgba(37, 99, 235, 0.12)', points: { show: true, size: 4 } }],
      legend: { show: true },
    }
    plot.current = new uPlot(opts, props.data, el)
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(240, el.clientWidth), height: props.height ?? 220 }))
    resize.observe(el)
    return () => {
      resize.disconnect()
      plot.current?.destroy()
      plot.current = undefined
    }
  }, [])

  useEffect(() => {
    plot.current?.setData(props.data)
  }, [props.data])

  const [xs, ys] = props.data
  const last = ys.length ? ys[ys.length - 1] : undefined
  const peak = ys.length ? Math.max(...ys) : undefined
  return (
    <figure class="chart">
      <div ref={box} role="img" aria-label={`${props.label}: ${ys.length} points${last !== undefined ? `, latest ${last}, peak ${peak}` : ''}`} />
      <figcaption class="muted">
        {props.label}{xs.length ? ` — ${ys.length} points since ${new Date(xs[0]! * 1000).toLocaleTimeString()}` : ''}
      </figcaption>
    </figure>
  )
}
