/** A URL as logs and messages may show it: its password replaced by `***` (a database URL carries one). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '(a URL that does not parse)'
  }
}
