/**
 * The custom search attributes ccsync registers on the Temporal server, so users can filter runs in
 * the Web UI (`CcsyncConnection = "kore-demo" AND CcsyncStream = "callvolume"`).
 *
 * One list, used everywhere: the local dev server (`temporal server start-dev --search-attribute`),
 * docker-compose's one-shot registration, the tests, and workflows (which set them). Pure code: safe
 * to import from workflows.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Type names exactly as the Temporal CLI and `temporal operator search-attribute create --type` spell them. */
export type SearchAttributeTypeName = 'Keyword' | 'Datetime';

/** Name → type. The names are part of the product surface (saved Web UI filters use them): never rename. */
export const SEARCH_ATTRIBUTES = {
  /** The connection name from connections.yaml (`kore-demo`). */
  CcsyncConnection: 'Keyword',
  /** The stream name (`callvolume`). */
  CcsyncStream: 'Keyword',
  /** The start of the window a `syncWindow` run covers. */
  CcsyncWindowStart: 'Datetime',
} as const satisfies Record<string, SearchAttributeTypeName>;

export type SearchAttributeName = keyof typeof SEARCH_ATTRIBUTES;

export const SEARCH_ATTRIBUTE_NAMES = Object.keys(SEARCH_ATTRIBUTES) as SearchAttributeName[];

/** Typed keys for `upsertSearchAttributes` / `typedSearchAttributes` in workflow and client code. */
export const SEARCH_ATTRIBUTE_KEYS = {
  CcsyncConnection: defineSearchAttributeKey('CcsyncConnection', SearchAttributeType.KEYWORD),
  CcsyncStream: defineSearchAttributeKey('CcsyncStream', SearchAttributeType.KEYWORD),
  CcsyncWindowStart: defineSearchAttributeKey('CcsyncWindowStart', SearchAttributeType.DATETIME),
} as const;

/** `NAME=Type` pairs, as `temporal server start-dev --search-attribute` takes them. */
export function searchAttributeFlags(): string[] {
  return SEARCH_ATTRIBUTE_NAMES.flatMap((name) => ['--search-attribute', `${name}=${SEARCH_ATTRIBUTES[name]}`]);
}
