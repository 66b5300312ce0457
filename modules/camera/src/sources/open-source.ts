/** Picks the frame source for the settings: a directory is a folder source, anything else goes through ffmpeg. */
import { stat } from 'node:fs/promises'
import type { Logger } from '@ledge/common'
import type { CameraSettings } from '../settings.js'
import { FfmpegSource } from './ffmpeg-source.js'
import { FolderSource } from './folder-source.js'
import type { FrameSource, SourceKind } from './frame-source.js'

export async function sourceKindOf(settings: Pick<CameraSettings, 'source' | 'sourceType'>): Promise<SourceKind> {
  if (settings.sourceType !== 'auto') return settings.sourceType
  const st = await stat(settings.source).catch(() => undefined)
  return st?.isDirectory() ? 'folder' : 'ffmpeg'
}

export async function openSource(settings: CameraSettings, log: Logger): Promise<FrameSource> {
  const kind = await sourceKindOf(settings)
  return kind === 'folder' ? new FolderSource(settings.source, settings, log) : new FfmpegSource(settings, log)
}
