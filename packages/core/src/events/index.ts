export * from './bodies.ts'
export { canonicalBytes, canonicalString, type Json } from './canonical.ts'
export {
  MAX_EVENT_BYTES, EVENT_VERSION, createEvent, decodeEvent, decodeEventValue, decodeTrusted, sha256Hex, signatureBytes,
  type LedgerEvent, type LedgerEventOf, type DecodedEvent, type DecodeResult, type RejectReason, type EventHeader, REJECT_REASONS
} from './envelope.ts'
export { peerIdFromPublicKey, publicKeyFromPeerId, createSeedSigner, generateSigner } from './peer-id.ts'
export { createInlineVerifier, createWorkerVerifier, type WorkerVerifier, type WorkerVerifierInit } from './verifier.ts'
