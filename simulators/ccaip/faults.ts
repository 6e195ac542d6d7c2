/**
 * The CCAI Platform simulator's faults (the machinery is the simulator kit's). A scripted fault aims
 * at any endpoint unless it names one (`{ endpoint: 'calls', status: 503 }`); a name the Manager API
 * does not have is refused. The random rates apply to every endpoint.
 */
import { FaultInjector as KitFaultInjector, type FaultRates, type ScriptedFault } from '../kit/faults';

export { mulberry32, seedFromText } from '../kit/faults';

/** Statuses a scripted fault may answer with. */
const CCAIP_FAULT_STATUSES = [500, 502, 503, 504, 429, 400, 401, 403, 404] as const;
export type CcaipFaultStatus = (typeof CCAIP_FAULT_STATUSES)[number];

export const CCAIP_ENDPOINTS = ['calls', 'chats', 'agent_activity_logs', 'agents', 'teams', 'team_tree', 'user_statuses'] as const;
export type CcaipEndpointName = (typeof CCAIP_ENDPOINTS)[number];

/** A one-shot fault; `endpoint` defaults to any endpoint (`*` too). */
export type CcaipFault = ScriptedFault<CcaipFaultStatus, CcaipEndpointName | '*'>;

export type CcaipFaultRates = FaultRates;

export class FaultInjector extends KitFaultInjector<CcaipFault, CcaipEndpointName> {
  constructor(seed: number, rates?: CcaipFaultRates) {
    super(seed, { statuses: CCAIP_FAULT_STATUSES, endpoints: CCAIP_ENDPOINTS }, rates);
  }
}
