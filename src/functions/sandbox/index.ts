/**
 * The sandbox runner for tenant functions (javascript, or typescript with its types stripped).
 * See sandbox.ts for the model and docs/functions-sandbox.md for the choices and figures.
 */
export { nodeSnapshotDisabled } from './node-flags.js';
export { createSandbox, type Sandbox, type SandboxOptions, type SandboxStats } from './sandbox.js';
export { checkSource, type SourceCheck, SourceError, stripTypes } from './source.js';
