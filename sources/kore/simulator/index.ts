/** The Kore.ai simulator's public API (tests, the local stack). */
export {
  KoreSimulator,
  DEFAULT_ENDPOINTS,
  KORE_ACCOUNT_PATH_PREFIX,
  type KoreSimulatorOptions,
  type KoreEndpoint,
  type KoreEndpointRequest,
  type KoreEndpointResponse,
  type KoreRequestLogEntry,
} from './server';
export {
  KoreDataset,
  callVolumeGroundTruth,
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
export { authenticate, koreErrorBody, type AuthOutcome, type KoreAuthOptions, type KoreErrorBody } from './auth';
export { FaultInjector, mulberry32, seedFromText, type FaultRates, type FaultStatus, type KoreFault } from './faults';
export { DEMO_KORE, KORE_SIMULATOR_DEFAULT_PORT, demoKoreOptions, main as runKoreSimulator } from './main';
