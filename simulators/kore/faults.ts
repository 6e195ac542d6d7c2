/**
 * The Kore.ai simulator's faults (the machinery is the simulator kit's). A scripted fault aims at
 * any endpoint unless it names one (`{ endpoint: 'callvolume', status: 503 }`); the random rates
 * apply to every endpoint.
 */
import { FaultInjector as KitFaultInjector, type FaultRates, type ScriptedFault } from '../kit/faults';

export { mulberry32, seedFromText, type FaultRates } from '../kit/faults';

/** Statuses a scripted fault may answer with: the ones the vendor (or a proxy in front of it) sends. */
const FAULT_STATUSES = [500, 502, 503, 429, 400, 401, 202] as const;
export type FaultStatus = (typeof FAULT_STATUSES)[number];

/** A one-shot fault; `endpoint` is an endpoint's short name (e.g. `callvolume`), any endpoint when omitted. */
export type KoreFault = ScriptedFault<FaultStatus, string>;

export class FaultInjector extends KitFaultInjector<KoreFault, string> {
  constructor(seed: number, rates?: FaultRates) {
    super(seed, { statuses: FAULT_STATUSES }, rates);
  }
}
