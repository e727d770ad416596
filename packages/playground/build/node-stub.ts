/**
 * Stands in for `node:worker_threads` in the browser build: the library's
 * thread pool imports it only under Node (`isNode()`), never in a page, so
 * the browser bundle gets this module instead of Vite's "externalized" shim.
 */
export const Worker = undefined;
export default {};
