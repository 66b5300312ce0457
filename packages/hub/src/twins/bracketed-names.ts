/**
 * IoT Hub's `[[name]]` quoting in twin queries, as its configuration metrics write it:
 * `configurations.[[my-deployment]].status = 'Applied'` (configuration ids may hold `-`, `:`, `'`, …, which a plain
 * property name cannot). The twin query parser already takes a quoted property name in brackets,
 * `configurations['my-deployment']`, so `.[[name]]` is rewritten to that before parsing; string literals are left
 * alone. Positions in parse errors refer to the rewritten text.
 */

/** The query with every `.[[name]]` outside string literals turned into `['name']`. */
export function rewriteBracketedNames(sql: string): string {
  let out = ''
  let i = 0
  while (i < sql.length) {
    const c = sql[i]!
    if (c === "'" || c === '"') {
      const end = stringEnd(sql, i)
      out += sql.slice(i, end)
      i = end
    } else if (c === '.' && sql.startsWith('[[', i + 1)) {
      const close = sql.indexOf(']]', i + 3)
      if (close < 0) return out + sql.slice(i) // unterminated: the parser reports it
      out += `['${sql.slice(i + 3, close).replaceAll("'", "''")}']`
      i = close + 2
    } else {
      out += c
      i++
    }
  }
  return out
}

/** The index just past the string literal starting at `start` (quotes doubled or backslash-escaped, as the lexer reads them). */
function stringEnd(sql: string, start: number): number {
  const quote = sql[start]
  let i = start + 1
  while (i < sql.length) {
    if (sql[i] === '\\') i += 2
    else if (sql[i] === quote && sql[i + 1] === quote) i += 2
    else if (sql[i] === quote) return i + 1
    else i++
  }
  return sql.length
}
