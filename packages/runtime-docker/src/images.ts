/**
 * Images: pulling per `imagePullPolicy` (`on-create` pulls at each create, `never` needs the image present), with the
 * registry credentials the agent passes in `settings.auth`; and clean-up of images no module has used for a while
 * (Azure's `[image_garbage_collection]`, image_age_cleanup_threshold).
 */
import type Docker from 'dockerode'
import type { Clock, Logger } from '@ledge/common'
import { moduleErrors } from '@ledge/module-runtime'
import { dockerErrors, engineMessage, isConnectionError, statusOf } from './errors.js'
import type { RuntimeState } from './runtime-state.js'
import type { DockerSettings } from './settings.js'

/** A reference without a tag or digest means `:latest` (an empty tag would make the engine pull every tag). */
export function withTag(image: string): string {
  if (image.includes('@')) return image
  const lastSlash = image.lastIndexOf('/')
  return image.slice(lastSlash + 1).includes(':') ? image : `${image}:latest`
}

/** The image's id if it is present locally. */
export async function localImageId(docker: Docker, image: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(withTag(image)).inspect()).Id
  } catch (err) {
    if (statusOf(err) === 404) return undefined
    throw err
  }
}

/** Pulls `image`; rejects with the engine's message (errors can come inside the progress stream). */
export async function pull(docker: Docker, image: string, auth: DockerSettings['auth']): Promise<void> {
  const stream = await docker.pull(withTag(image), auth ? { authconfig: auth } : {})
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => {
      const failed = output?.find((o) => o.error)
      if (err) reject(err)
      else if (failed) reject(new Error(failed.error))
      else resolve()
    })
  })
}

export interface EnsureImageOptions {
  docker: Docker
  name: string
  settings: DockerSettings
  policy: 'on-create' | 'never'
  log: Logger
  /** Pulls that already happened (`prepare`), by image: a create soon after does not pull again. */
  recentPulls: Map<string, number>
  recentPullMs: number
  clock: Clock
}

/**
 * Makes sure the module's image is present and returns its id. `on-create` pulls; when the pull fails (an offline
 * device) but the image is present, the local image is used and a warning logged, so a device that lost its link
 * can still recreate its modules. `never` only checks that the image is present.
 */
export async function ensureImage(o: EnsureImageOptions): Promise<string> {
  const { docker, name, settings } = o
  const image = settings.image
  if (o.policy === 'on-create') {
    const pulledAt = o.recentPulls.get(image)
    if (pulledAt === undefined || o.clock.now() - pulledAt > o.recentPullMs) {
      try {
        const t0 = o.clock.now()
        await pull(docker, image, settings.auth)
        o.recentPulls.set(image, o.clock.now())
        o.log.info({ event: 'image.pulled', moduleId: name, image, ms: o.clock.now() - t0 }, 'image pulled')
      } catch (err) {
        if (isConnectionError(err)) throw err
        const id = await localImageId(docker, image)
        if (id === undefined) throw dockerErrors.pullFailed(name, image, engineMessage(err), err)
        o.log.warn({ event: 'image.pull_failed', moduleId: name, image, why: engineMessage(err) }, 'image pull failed: using the local image')
        return id
      }
    }
  }
  const id = await localImageId(docker, image)
  if (id === undefined) throw moduleErrors.invalid(name, [{ setting: 'settings.image', problem: `'${image}' is not present locally, and imagePullPolicy is 'never'` }])
  return id
}

export interface ImageGcOptions {
  /** Remove an image once no module container has used it for this long (Azure: 7 days). */
  minAgeMs: number
}

/**
 * One clean-up pass. Only images some module container of this runtime has used are candidates (other images on the
 * machine are not the runtime's business); one in use by any container (running or not) is kept and its time
 * refreshed; the others go once `minAgeMs` has passed since they were last seen in use. The engine refuses to remove
 * an image a container still uses, which closes the race with a module created meanwhile.
 */
export async function collectImages(docker: Docker, state: RuntimeState, runtimeLabel: string, o: ImageGcOptions & { clock: Clock; log: Logger }): Promise<{ removed: string[]; kept: string[] }> {
  const now = o.clock.now()
  const [all, ours] = await Promise.all([
    docker.listContainers({ all: true }),
    docker.listContainers({ all: true, filters: { label: [runtimeLabel] } }),
  ])
  const inUse = new Set(all.map((c) => c.ImageID))
  const used = state.data.imageLastUsed
  for (const c of ours) used[c.ImageID] = new Date(now).toISOString()
  const present = new Set((await docker.listImages({ all: false })).map((i) => i.Id))
  const removed: string[] = []
  const kept: string[] = []
  for (const [id, last] of Object.entries(used)) {
    if (!present.has(id)) {
      delete used[id]
      continue
    }
    if (inUse.has(id) || now - Date.parse(last) < o.minAgeMs) {
      kept.push(id)
      continue
    }
    try {
      await docker.getImage(id).remove({ force: false })
      delete used[id]
      removed.push(id)
      o.log.info({ event: 'image.removed', image: id, lastUsed: last }, 'removed an image no module has used')
    } catch (err) {
      if (statusOf(err) === 404) delete used[id]
      else {
        kept.push(id)
        o.log.warn({ event: 'image.remove_failed', image: id, why: engineMessage(err) }, 'could not remove an unused image')
      }
    }
  }
  await state.save()
  return { removed, kept }
}
