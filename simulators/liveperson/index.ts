/** The LivePerson simulator's public API (tests, the local stack). */
export { LivePersonSimulator, type LivePersonSimulatorOptions, type LivePersonRequestLogEntry } from './server';
export {
  LivePersonDataset,
  intervalMetricsGroundTruth,
  rfc3339,
  BASE_INTERVAL_MS,
  BOT_METRICS,
  LP_DURATIONS,
  LP_GROUPINGS,
  LP_METRICS,
  SKILL_LEVEL_METRICS,
  type Activity,
  type IntervalMetricsRecord,
  type IntervalQuery,
  type LivePersonDataOptions,
  type LpAgent,
  type LpAgentGroup,
  type LpDuration,
  type LpGrouping,
  type LpMetric,
  type LpSkill,
  type Timeframe,
} from './data';
export {
  handleIntervalMetrics,
  parseRfc3339,
  processingStatus,
  DEFAULT_PAGE_SIZE,
  MAX_AGE_MS,
  MAX_PAGE_SIZE,
  MAX_SPAN_MS,
  type PagingStyle,
  type RuleBroken,
} from './interval-metrics';
export { LpAuthenticator, hmacSha1Signature, parseOAuthHeader, rfc3986, signatureBaseString, type LpAuthOptions, type LpAuthOutcome } from './auth';
export { FaultInjector, mulberry32, seedFromText, type LpFault, type LpFaultRates, type LpFaultStatus } from './faults';
export { DEMO_LIVEPERSON, LIVEPERSON_SIMULATOR_DEFAULT_PORT, demoLivePersonOptions, main as runLivePersonSimulator } from './main';
