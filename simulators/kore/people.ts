/**
 * The simulated contact center's agents: the people behind agent-status segments and the
 * `respondingAgent` of conversations. Deterministic from (seed, orgId, index).
 */
import { pick, sha256, uuidLike } from '../kit/seeded';

export const DEFAULT_AGENT_COUNT = 5;

export interface KoreAgent {
  /** `u-…`, the id agent status and call details both use. */
  userId: string;
  firstName: string;
  lastName: string;
  email: string;
  /** Only some agents have one (as in the vendor's sample); an unknown field to a strict client. */
  customId?: string;
  /**
   * Works evenings into the next morning (UTC), so some of its status segments cross midnight and
   * are reported for two days. Every fifth agent.
   */
  nightShift: boolean;
}

const FIRST = ['John', 'Priya', 'Maria', 'Kwame', 'Li', 'Sofia', 'Ahmed', 'Emma', 'Diego', 'Aiko'];
const LAST = ['Steve', 'Sharma', 'Garcia', 'Mensah', 'Wei', 'Rossi', 'Khan', 'Miller', 'Lopez', 'Tanaka'];

export function makeAgents(seed: string, orgId: string, count: number): KoreAgent[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`agents must be a whole number >= 1 (got ${count})`);
  const out: KoreAgent[] = [];
  for (let i = 0; i < count; i++) {
    const h = sha256('agent', seed, orgId, i);
    const rng = (n: number) => () => parseInt(h.slice(n, n + 8), 16) / 0x1_0000_0000;
    const firstName = FIRST[i % FIRST.length]!;
    const lastName = pick(rng(8), LAST);
    const agent: KoreAgent = {
      userId: `u-${uuidLike(h)}`,
      firstName,
      lastName,
      email: `${firstName}.${lastName}${i >= FIRST.length ? i : ''}@example.com`.toLowerCase(),
      nightShift: i % 5 === 4,
    };
    if (i % 3 === 2) agent.customId = String(100000 + (parseInt(h.slice(16, 21), 16) % 900000));
    out.push(agent);
  }
  return out;
}

export const agentName = (a: KoreAgent) => `${a.firstName} ${a.lastName}`;
