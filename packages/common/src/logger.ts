/**
 * The root logger. Only composition roots (`main.ts`) create it; everything else takes a child through its
 * constructor. Lines that matter carry a stable `event` field.
 */
import { pino, type Logger, type LoggerOptions } from 'pino'

export type { Logger } from 'pino'

export interface LoggerSettings {
  name: string
  level?: string
  /** Write to this file descriptor or path instead of stdout. */
  destination?: number | string
}

export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    name: settings.name,
    level: settings.level ?? process.env.LEDGE_LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  }
  if (settings.destination === undefined) return pino(options)
  return pino(options, pino.destination({ dest: settings.destination, sync: false, mkdir: true }))
}

/** A logger that drops everything (tests, benchmarks). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
