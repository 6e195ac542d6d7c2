/** The CCAI Platform simulator's public API (tests, the local stack). */
export { CcaipSimulator, DEFAULT_BASE_PATH, type CcaipSimulatorOptions, type CcaipRequestLogEntry } from './server';
export {
  CcaipDataset,
  compareBy,
  iso,
  ACTIVITY_LOG_ID_BASE,
  AGENT_ID_BASE,
  CALL_ID_BASE,
  CHAT_ID_BASE,
  MAX_LIFECYCLE_MS,
  TEAM_ID_BASE,
  type CcaipDataOptions,
  type ConversationChange,
  type TimeQuery,
  type UserStatus,
} from './data';
export { answer, ccaipError, linkHeader, parseIsoInstant, parseListParams, DEFAULT_PER, MAX_PER, type CcaipErrorBody, type LinkMode } from './endpoints';
export { authenticate, parseBasic, type CcaipAuthOptions, type CcaipAuthOutcome } from './auth';
export {
  CCAIP_ENDPOINTS,
  FaultInjector,
  mulberry32,
  seedFromText,
  type CcaipEndpointName,
  type CcaipFault,
  type CcaipFaultRates,
  type CcaipFaultStatus,
} from './faults';
export { CCAIP_SIMULATOR_DEFAULT_PORT, DEMO_CCAIP, demoCcaipOptions, main as runCcaipSimulator } from './main';
