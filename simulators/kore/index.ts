/** The Kore.ai simulator's public API (tests, the local stack). */
export { KoreSimulator, DEFAULT_ENDPOINTS, KORE_ACCOUNT_PATH_PREFIX, type KoreSimulatorOptions, type KoreRequestLogEntry } from './server';
export type { KoreEndpoint, KoreEndpointRequest, KoreEndpointResponse } from './endpoint';
export {
  KoreDataset,
  callVolumeGroundTruth,
  conversationsGroundTruth,
  agentStatusGroundTruth,
  CALL_VOLUME_INTERVAL_MS,
  DEFAULT_DATA_START,
  DEFAULT_QUEUE_COUNT,
  type CallVolumeUpdate,
  type KoreDataOptions,
  type KoreQueue,
} from './data';
export {
  callVolumeEndpoint,
  CallVolumeRequestSchema,
  CALL_VOLUME_DEFAULT_LIMIT,
  CALL_VOLUME_MAX_LIMIT,
  parseKoreTimestamp,
  type CallVolumeRequest,
} from './callvolume';
export {
  callDetailsEndpoint,
  interactionDetailsEndpoint,
  CallDetailsRequestSchema,
  CALL_DETAILS_DEFAULT_LIMIT,
  CALL_DETAILS_MAX_LIMIT,
  CALL_DETAILS_MAX_RANGE_MS,
  CALL_DETAILS_RANGE_MESSAGE,
  callDetailsRangeMs,
  parseKoreDateTime,
  type CallDetailsRequest,
} from './calldetails';
export { agentStatusEndpoint, AgentStatusRequestSchema, AGENT_STATUS_MAX_LIMIT, parseKoreDate } from './agentstatus';
export {
  agentOnWire,
  agentStatusRecord,
  formatKoreDuration,
  koreLocalTime,
  segmentsOverlapping,
  shiftSegments,
  type SegmentAsOf,
  type StatusSegment,
} from './agentstatus-data';
export { sessionsBetween, sessionsOfDay, type ConversationFilter, type Session } from './conversations-data';
export { DEFAULT_AGENT_COUNT, makeAgents, type KoreAgent } from './people';
export { authenticate, koreErrorBody, type AuthOutcome, type KoreAuthOptions, type KoreErrorBody } from './auth';
export { FaultInjector, mulberry32, seedFromText, type FaultRates, type FaultStatus, type KoreFault } from './faults';
export { DEMO_KORE, KORE_SIMULATOR_DEFAULT_PORT, demoKoreOptions, main as runKoreSimulator } from './main';
