/* deploy.h — Cloister's contracts deployed and wired on any EVM chain, and
 * the deployment file every client reads back (docs/operations.md).
 *
 * Order (each step one transaction from the deployer key, waited for):
 *   EnclaveRegistry(owner, verifiers, threshold, bond, record lifetime, rotation grace)
 *   JobMarket(registry, challenge window, max deadline); registry.setMarket
 *   registry.setTeeAllowed for each TEE type; registry.setMeasurement for each
 *   measurement and built-in workload
 *   SealedBidAuction(market); PriceFeed(market, owner, keccak256(oracle config),
 *   8, description); feed.setUpdater(owner)
 *   ModelRegistry()
 * Governance calls need the deployer to be the owner; with another owner they
 * are left to it (the document says which were done). */
#ifndef CLO_CLIENT_DEPLOY_H
#define CLO_CLIENT_DEPLOY_H

#include <jansson.h>

#include "client/calls.h"

/* The PriceFeed's oracle config (docs/formats.md §5.3). */
extern const uint8_t CLO_ORACLE_CONFIG[12];

/* A deployer sends from its sender and collects each contract's address,
 * transaction, block and gas into `contracts`; on failure `why` names the step
 * and the revert reason. progress (optional) hears of each contract. */
typedef struct {
    clo_sender s;
    const char *artifacts; /* forge's out/ directory */
    json_t *contracts;
    char why[256];
    void (*progress)(const char *name, const uint8_t address[20], uint64_t gas_used);
} clo_deployer;

#define CLO_DEPLOY_MAX_VERIFIERS    32
#define CLO_DEPLOY_MAX_MEASUREMENTS 16
typedef struct {
    const uint8_t (*verifiers)[20];
    size_t verifier_count; /* 1..CLO_DEPLOY_MAX_VERIFIERS */
    uint64_t threshold;
    const uint8_t *owner;              /* governance owner and PriceFeed updater */
    uint8_t tee_mask;                  /* bit 1 << CLO_TEE_x for each type allowed */
    const uint8_t (*measurements)[32]; /* keccak256 of platform measurements */
    size_t measurement_count;          /* allowed for every built-in workload */
    uint64_t bond_wei, record_lifetime, rotation_grace, challenge_window, max_deadline;
} clo_deploy_plan;

/* Deploy the artifact `name` with constructor args; its address into out. */
CLO_MUST_CHECK clo_err clo_deployer_create(clo_deployer *d, const char *name,
                                           const clo_abi_val *args, uint8_t out[20]);
/* One governance call, waited for. */
CLO_MUST_CHECK clo_err clo_deployer_call(clo_deployer *d, const uint8_t to[20], const char *sig,
                                         const clo_abi_val *args);
/* EnclaveRegistry.setMeasurement(workload id of `workload`, measurement, true). */
CLO_MUST_CHECK clo_err clo_deployer_allow_measurement(clo_deployer *d, const uint8_t registry[20],
                                                      const char *workload,
                                                      const uint8_t measurement[32]);
/* Governance: allow EnclaveRegistry records of this TEE type (setTeeAllowed),
 * unless they are; *changed says whether a transaction was sent. */
CLO_MUST_CHECK clo_err clo_deployer_allow_tee(clo_deployer *d, const uint8_t registry[20],
                                              uint8_t tee, int *changed);
/* Deploy and wire everything; *out = the deployment document (chain_id, rpc,
 * contracts, committee, owner, deployer, wired, tee_types, measurements,
 * oracle_config). */
CLO_MUST_CHECK clo_err clo_deploy_cloister(clo_deployer *d, const clo_deploy_plan *p,
                                           const char *rpc_url, json_t **out);

/* What a client reads back from a deployment document: the chain and the two
 * contracts it checks against (and the RPC, empty if the file names none). */
typedef struct {
    uint64_t chain_id;
    uint8_t registry[20], market[20];
    char rpc[512];
} clo_deployment;
/* CLO_E_FORMAT "deployment" unless it has chain_id and
 * contracts.{EnclaveRegistry,JobMarket} addresses. */
CLO_MUST_CHECK clo_err clo_deployment_parse(clo_bytes text, clo_deployment *out);
/* A contract's address from the document (contracts.NAME.address). */
CLO_MUST_CHECK clo_err clo_deployment_contract(const json_t *doc, const char *name,
                                               uint8_t out[20]);

#endif
