/**
 * The LivePerson simulator's faults (the machinery is the simulator kit's). A fault aims at the
 * `interval-metrics` endpoint unless it names another (`domain-lookup`) or `*`, so a scripted 500
 * meant for a page is never eaten by the (cached, rare) domain lookup; the random rates apply to
 * interval metrics only. A scripted 202 without a body lists the request's intervals as
 * "In Progress", like the vendor.
 */
import { FaultInjector as KitFaultInjector, type FaultRates, type ScriptedFault } from '../kit/faults';

export { mulberry32, seedFromText } from '../kit/faults';

/** Statuses a scripted fault may answer with: the vendor's documented ones, and a gateway's 502. */
const LP_FAULT_STATUSES = [500, 502, 503, 429, 400, 401, 202] as const;
export type LpFaultStatus = (typeof LP_FAULT_STATUSES)[number];

export type LpEndpointName = 'interval-metrics' | 'domain-lookup';

/** A one-shot fault; `endpoint` defaults to `interval-metrics`, `*` for any endpoint. */
export type LpFault = ScriptedFault<LpFaultStatus, LpEndpointName | '*'>;

export type LpFaultRates = FaultRates;

export class FaultInjector extends KitFaultInjector<LpFault, LpEndpointName> {
  constructor(seed: number, rates?: LpFaultRates) {
    super(seed, { statuses: LP_FAULT_STATUSES, defaultEndpoint: 'interval-metrics', rateEndpoints: ['interval-metrics'] }, rates);
  }
}
