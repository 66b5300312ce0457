/**
 * `ledge hub edge set-modules --device-id ID --content deployment.json`: deploys modules to one edge device, as
 * `az iot edge set-modules` does (REST `POST /devices/{id}/applyConfigurationContent`). The file is an Azure
 * deployment manifest (`{"modulesContent": {"$edgeAgent": …, "$edgeHub": …, …}}`); the hub validates it and answers
 * with every problem it finds.
 */
import { readFileSync } from 'node:fs'
import { Command } from 'commander'
import { act, type CliIo } from '../context.js'
import { errors } from '../errors.js'
import { seg } from '../hub-client.js'
import { deploymentCommand } from './hub-edge-deployment.js'

interface SetModulesOpts {
  deviceId: string
  content: string
}

/** Reads and parses the deployment file; errors name the file and what is wrong with it. */
export function readDeploymentFile(path: string): unknown {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw errors.badFlag('--content', `cannot be read: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? `no file '${path}'` : (err as Error).message}`)
  }
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    throw errors.badFlag('--content', `'${path}' is not valid JSON: ${(err as Error).message}`)
  }
}

export function hubEdgeCommand(io: CliIo): Command {
  const group = new Command('edge').description('IoT Edge deployments')
  act<SetModulesOpts>(
    group.command('set-modules').description('apply a deployment manifest to one edge device (as az iot edge set-modules)')
      .requiredOption('-d, --device-id <id>', 'the edge device')
      .requiredOption('-k, --content <file>', 'the deployment manifest (JSON with modulesContent)'),
    io,
    async (ctx) => {
      const content = readDeploymentFile(ctx.opts.content)
      await ctx.client().request({ method: 'POST', path: `/devices/${seg(ctx.opts.deviceId)}/applyConfigurationContent`, json: content })
      // az prints the module twins it set; the $edgeAgent twin is the one that matters.
      const twin = await ctx.client().request<{ properties: { desired: Record<string, unknown> } }>({ method: 'GET', path: `/twins/${seg(ctx.opts.deviceId)}/modules/${seg('$edgeAgent')}` })
      const desired = twin.body.properties.desired
      const modules = Object.keys((desired.modules as Record<string, unknown> | undefined) ?? {})
      ctx.out.record({ deviceId: ctx.opts.deviceId, desiredVersion: desired.$version, modules }, (r) => [
        ['DeviceId', r.deviceId], ['$edgeAgent desired version', r.desiredVersion], ['Modules', r.modules.join(', ') || '(none)'],
      ])
    },
  )
  group.addCommand(deploymentCommand(io))
  return group
}
