/**
 * zod issues as short problems a person can act on: a JSON path (`modules.camera.restartPolicy`) and a message
 * (`expected one of never|on-failure|on-unhealthy|always`).
 */
import type { core } from 'zod'

export interface Problem {
  path: string
  message: string
}

type Issue = core.$ZodIssue

export function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`
    else out += out === '' ? String(seg) : `.${String(seg)}`
  }
  return out
}

const ARTICLE: Record<string, string> = { object: 'an object', array: 'an array', int: 'an integer', record: 'an object' }

function message(issue: Issue): string {
  const isDefault = /^Invalid|^Too (small|big)|^Unrecognized/.test(issue.message)
  switch (issue.code) {
    case 'invalid_type': {
      // zod 4 leaves the input out of issues; its default message names what it received.
      const received = /received (\w+)/.exec(issue.message)?.[1]
      if (received === 'undefined') return 'is required'
      if (!isDefault) return issue.message
      return `expected ${ARTICLE[issue.expected] ?? `a ${issue.expected}`}, got ${received ? (ARTICLE[received] ?? `a ${received}`) : 'something else'}`
    }
    case 'too_small':
      if (!isDefault) return issue.message
      return issue.origin === 'string' ? `must have at least ${issue.minimum} characters` : `must be at least ${issue.minimum}`
    case 'too_big':
      if (!isDefault) return issue.message
      return issue.origin === 'string' ? `must have at most ${issue.maximum} characters` : `must be at most ${issue.maximum}`
    case 'unrecognized_keys':
      return `unknown ${issue.keys.length > 1 ? 'keys' : 'key'} ${issue.keys.map((k) => `'${k}'`).join(', ')}`
    case 'invalid_value':
      return isDefault ? `expected one of ${issue.values.map(String).join('|')}` : issue.message
    default:
      return issue.message
  }
}

/** Flattens zod issues; a union reports the branch that got furthest, or its own message when none did. */
export function issueProblems(issues: readonly Issue[], prefix: readonly PropertyKey[] = []): Problem[] {
  const out: Problem[] = []
  for (const issue of issues) {
    const path = [...prefix, ...issue.path]
    if (issue.code === 'invalid_union' && 'errors' in issue && issue.errors.length > 0) {
      // The branch whose type matched (no type error at its root) got furthest.
      const deep = issue.errors.find((branch) => branch.length > 0 && branch.every((i) => i.path.length > 0 || i.code !== 'invalid_type'))
      if (deep) {
        out.push(...issueProblems(deep, path))
        continue
      }
    }
    if (issue.code === 'invalid_key' || issue.code === 'invalid_element') {
      out.push(...issueProblems(issue.issues, path))
      continue
    }
    out.push({ path: formatPath(path), message: message(issue) })
  }
  return out
}
