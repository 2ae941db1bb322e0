export {
  attemptFacts, dssePae, peerUri, provenanceEnvelope, provenanceStatement, signProvenance, statementBytes, timesInRange,
  DEVQ_BUILD_TYPE, IN_TOTO_PAYLOAD_TYPE, IN_TOTO_STATEMENT_V1, SLSA_PROVENANCE_V1,
  type DsseEnvelope, type ProvenanceFacts, type ProvenanceStatement, type ResourceDescriptor
} from './statement.ts'
export { checkProvenance, eventSignatureHolds, verifiedBy, type ProvenanceEvents, type ProvenanceProblem, type ProvenanceVerdict } from './check.ts'
