/**
 * Limits of automatic edge deployments (IoT Hub configurations). Where IoT Hub documents one, the number is IoT Hub's
 * (100 deployments per paid hub, layered ones included; 50 modules per deployment; the id's length and characters;
 * 128-character labels); the others are Ledge's own and named as such.
 */
export const MAX_CONFIGURATIONS = 100
export const MAX_MODULES_PER_DEPLOYMENT = 50
export const MAX_CONFIGURATION_ID_LENGTH = 128
/** IoT Hub: lowercase letters, digits and `- + % _ # * ? ! ( ) , : = @ $ '`. */
export const CONFIGURATION_ID_PATTERN = /^[a-z0-9\-+%_#*?!(),:=@$']+$/
export const MAX_LABEL_LENGTH = 128
/** Ledge's: the whole `content` as JSON (each module's desired properties are also held to the 32 KB twin limit). */
export const MAX_CONFIGURATION_CONTENT_BYTES = 256 * 1024
/** Ledge's. */
export const MAX_TARGET_CONDITION_LENGTH = 4096
/** Ledge's. */
export const MAX_METRIC_QUERIES = 20
