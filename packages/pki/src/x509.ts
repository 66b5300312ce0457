/**
 * The one door to `@peculiar/x509`. Its tsyringe container needs a Reflect metadata polyfill loaded before it
 * (the library's README: "Reflect Polyfill Required"); ES modules evaluate imports in order, so importing the
 * library only through this file guarantees that.
 */
import 'reflect-metadata'

export * from '@peculiar/x509'
