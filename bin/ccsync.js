#!/usr/bin/env node
// `npx ccsync ...`: runs the TypeScript CLI through tsx's require hook (no build step).
require('tsx/cjs');
require('../cli/main.ts');
