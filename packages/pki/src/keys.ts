/**
 * Key pairs through Node's WebCrypto (what `@peculiar/x509` signs with), and PEM (PKCS#8) export.
 */
import { createPrivateKey, webcrypto, type KeyObject } from 'node:crypto'
import { errors } from './errors.js'

/** Key algorithms Ledge generates: ECDSA P-256 (default: small and fast) or RSA 2048 (for old clients). */
export type KeyType = 'ec-p256' | 'rsa-2048'

export const KEY_TYPES: readonly KeyType[] = ['ec-p256', 'rsa-2048']

const subtle = webcrypto.subtle

const RSA_ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }

/** A private key ready to sign certificates, with the signature algorithm that goes with it. */
export interface Signer {
  key: webcrypto.CryptoKey
  algorithm: { name: string; hash?: string }
}

export interface GeneratedKeyPair {
  keys: webcrypto.CryptoKeyPair
  /** PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). */
  privateKeyPem: string
  /** True for RSA: the leaf then also gets keyEncipherment (RSA key exchange). */
  isRsa: boolean
}

export function assertKeyType(keyType: unknown): KeyType {
  if (keyType === undefined) return 'ec-p256'
  if (!KEY_TYPES.includes(keyType as KeyType)) {
    throw errors.invalidOption(`keyType must be one of ${KEY_TYPES.join(', ')}, got '${String(keyType)}'`)
  }
  return keyType as KeyType
}

export async function generateKeyPair(keyType: KeyType): Promise<GeneratedKeyPair> {
  const isRsa = keyType === 'rsa-2048'
  const algorithm = isRsa
    ? { ...RSA_ALGORITHM, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) }
    : { name: 'ECDSA', namedCurve: 'P-256' }
  const keys = (await subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair
  const pkcs8 = Buffer.from(await subtle.exportKey('pkcs8', keys.privateKey))
  const privateKeyPem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }) as string
  return { keys, privateKeyPem, isRsa }
}

const CURVES: Record<string, { namedCurve: string; hash: string }> = {
  prime256v1: { namedCurve: 'P-256', hash: 'SHA-256' },
  secp384r1: { namedCurve: 'P-384', hash: 'SHA-384' },
  secp521r1: { namedCurve: 'P-521', hash: 'SHA-512' },
}

/** Imports a Node private key (from any PEM form) as a WebCrypto signing key. */
export async function toSigner(key: KeyObject, source: string): Promise<Signer> {
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' })
  if (key.asymmetricKeyType === 'rsa') {
    return { key: await subtle.importKey('pkcs8', pkcs8, RSA_ALGORITHM, false, ['sign']), algorithm: { name: RSA_ALGORITHM.name } }
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = CURVES[key.asymmetricKeyDetails?.namedCurve ?? '']
    if (!curve) throw errors.keyUnsupported(source, `EC ${key.asymmetricKeyDetails?.namedCurve ?? '(unknown curve)'}`)
    const k = await subtle.importKey('pkcs8', pkcs8, { name: 'ECDSA', namedCurve: curve.namedCurve }, false, ['sign'])
    return { key: k, algorithm: { name: 'ECDSA', hash: curve.hash } }
  }
  throw errors.keyUnsupported(source, key.asymmetricKeyType ?? 'unknown')
}
