// @cloister/client — seal to an attested enclave's key from the chain, submit,
// wait for and verify enclave-signed results, open private replies
// (docs/js-client.md).
export * from './bytes.js';
export * from './ids.js';
export * from './envelope.js';
export * from './statement.js';
export * from './client.js';
export * from './generated/abi.js';
export * from './workloads.js';
