// The worker thread's entry: worker threads do not inherit the parent's tsx loader, so register it here, then load
// the TypeScript worker.
import { register } from 'tsx/esm/api'

register()
await import('./worker.ts')
