import { readFileSync } from 'node:fs';

/**
 * The version of nbwss (package.json, one level above `src/` and `dist/` alike): the metrics' `nbwss_build_info`
 * and the console show it.
 */
export const NBWSS_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
