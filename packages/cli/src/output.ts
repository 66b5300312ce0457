/**
 * What commands print: a table (aligned columns of the important fields, or `Field  value` lines for one object) or,
 * with `--output json`, the hub's API objects as they came. Errors never go through here (see program.ts).
 */

export type OutputFormat = 'table' | 'json'
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json']

export interface Writer {
  write(text: string): unknown
}

export interface Column<T> {
  header: string
  get(row: T): unknown
}

/** Longest cell in a table before it is cut with `…` (keys are 44 characters; JSON twins can be long). */
const MAX_CELL = 80

/** A value as table text: nothing for null/undefined, strings as they are, anything else as compact JSON. */
export function cellText(v: unknown): string {
  if (v === undefined || v === null) return ''
  if (typeof v === 'string') return v.replace(/[\r\n\t]+/g, ' ')
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v)
  return JSON.stringify(v)
}

function cut(s: string, max: number): string {
  return [...s].length <= max ? s : [...s].slice(0, max - 1).join('') + '…'
}

function width(s: string): number {
  return [...s].length
}

/** Rows under a header and a dashed rule, each column as wide as its widest cell. */
export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => cut(cellText(c.get(r)), MAX_CELL)))
  const widths = columns.map((c, i) => Math.max(width(c.header), ...cells.map((row) => width(row[i]!))))
  const line = (parts: readonly string[]): string => parts.map((p, i) => (i === parts.length - 1 ? p : p + ' '.repeat(widths[i]! - width(p)))).join('  ').trimEnd()
  return [line(columns.map((c) => c.header)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + '\n'
}

/** One object as `Label  value` lines; fields whose value is undefined are left out. */
export function formatRecord(fields: readonly (readonly [string, unknown])[]): string {
  const shown = fields.filter(([, v]) => v !== undefined)
  const w = Math.max(0, ...shown.map(([k]) => width(k)))
  return shown.map(([k, v]) => `${k}${' '.repeat(w - width(k))}  ${cellText(v)}`.trimEnd()).join('\n') + '\n'
}

export class Output {
  constructor(readonly out: Writer, readonly format: OutputFormat) {}

  get json(): boolean {
    return this.format === 'json'
  }

  /** Prints `raw` as JSON, or the table `table()` builds from it. */
  print<T>(raw: T, table: (v: T) => string): void {
    this.out.write(this.json ? JSON.stringify(raw, null, 2) + '\n' : table(raw))
  }

  list<T>(rows: readonly T[], columns: readonly Column<T>[]): void {
    this.print(rows, (r) => formatTable(r, columns))
  }

  record<T>(raw: T, fields: (v: T) => readonly (readonly [string, unknown])[]): void {
    this.print(raw, (v) => formatRecord(fields(v)))
  }

  /** A line of text in table mode only (`deleted device 'x'`); JSON mode prints nothing. */
  note(text: string): void {
    if (!this.json) this.out.write(text + '\n')
  }

  line(text: string): void {
    this.out.write(text + '\n')
  }
}
