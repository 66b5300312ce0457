export { errors } from './errors.js'
export { KEY_TYPES, type KeyType } from './keys.js'
export {
  createCertificateAuthority,
  issueCertificateAuthority,
  issueServerCertificate,
  issueClientCertificate,
  type KeyPairPem,
  type IssuedCertificate,
  type CertificateAuthorityOptions,
  type ServerCertificateOptions,
  type ClientCertificateOptions,
} from './issue.js'
export { describeCertificate, type CertificateDescription } from './describe.js'
export {
  ensureHubCertificates,
  CA_FILE,
  CA_KEY_FILE,
  SERVER_CERT_FILE,
  SERVER_KEY_FILE,
  DEFAULT_CA_VALIDITY_DAYS,
  DEFAULT_SERVER_VALIDITY_DAYS,
  DEFAULT_RENEW_BEFORE_DAYS,
  DEFAULT_CA_COMMON_NAME,
  type HubCertificateOptions,
  type HubCertificates,
} from './hub-certificates.js'
