/**
 * Target conditions (`tags.environment='prod' AND properties.reported.x=1`, `deviceId='edge-1'`, `*`): parsed once
 * with the twin query language's parser, evaluated against the device twin with its evaluator (WHERE semantics).
 */
import { isQueryParseError, matches, parseCondition, twinResolver } from '@ledge/protocol'
import { errors } from '../errors.js'

export type TargetMatcher = (twin: Record<string, unknown>) => boolean

/** Throws ArgumentInvalid naming the position of the first problem. */
export function compileTargetCondition(text: string): TargetMatcher {
  if (text.trim() === '*') return () => true
  try {
    const expr = parseCondition(text, { dialect: 'twin' })
    return (twin) => matches(expr, twinResolver(twin))
  } catch (err) {
    if (isQueryParseError(err)) throw errors.argumentInvalid(`targetCondition: ${err.message}`)
    throw err
  }
}
