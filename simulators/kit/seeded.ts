/**
 * Deterministic building blocks for the simulators' data: hashes, seeded PRNGs and id shapes. Every
 * generated value derives from text parts (seed, entity, day...), never from call order, so any
 * record can be recomputed on its own.
 */
import { createHash } from 'node:crypto';
import { mulberry32 } from './faults';

export function sha256(...parts: Array<string | number>): string {
  return createHash('sha256').update(parts.join('|')).digest('hex');
}

/** A PRNG seeded by the parts: the same parts always give the same sequence. */
export function rngFor(...parts: Array<string | number>): () => number {
  return mulberry32(parseInt(sha256(...parts).slice(0, 8), 16));
}

/** 32 hex digits shaped like a UUID (8-4-4-4-12). */
export function uuidLike(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** One element of `list`, by the PRNG. */
export function pick<T>(rng: () => number, list: readonly T[]): T {
  return list[Math.floor(rng() * list.length)]!;
}

/** A whole number in `[min, max]`, by the PRNG. */
export function between(rng: () => number, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}
