/* outputs.h — clients' codecs for the workloads' inputs and outputs
 * (docs/formats.md §5). A client names workloads through the one registry
 * (workloads/workload.h: names and ids) and codes onnx records and answers
 * with workloads/onnx_wl.h, both part of this header's surface.
 * Every decoder checks the version byte and the exact length, and names the
 * field it refuses; decoded lists are views into the bytes. */
#ifndef CLO_CLIENT_OUTPUTS_H
#define CLO_CLIENT_OUTPUTS_H

#include "base/bytes.h"
#include "workloads/onnx_wl.h"
#include "workloads/workload.h"

#define CLO_PUBLIC_VERSION 2 /* every workload's public output */

/* The excluded inputs' positions that end every public output. */
typedef struct {
    size_t count;
    clo_bytes pos; /* count x u16, big-endian */
} clo_excluded;
uint16_t clo_excluded_at(const clo_excluded *x, size_t i);

typedef struct {
    int sold;
    uint16_t bids, winner_index;
    uint8_t winner[20], price[32];
    clo_excluded excluded;
} clo_auction_public;

typedef struct {
    uint16_t choices;
    uint32_t total;
    clo_bytes counts; /* choices x u32 */
    clo_excluded excluded;
} clo_vote_public;
uint32_t clo_vote_count(const clo_vote_public *v, size_t choice);

typedef struct {
    uint8_t mode;
    int64_t value;
    uint16_t used, rejected;
    uint64_t as_of;
    clo_excluded excluded;
} clo_oracle_public;

typedef struct {
    clo_bytes decisions; /* one byte per applicant */
    clo_excluded excluded;
} clo_policy_public;

typedef struct {
    uint8_t model_id[32];
    uint32_t inputs, answered;
    clo_excluded excluded;
} clo_onnx_public;

CLO_MUST_CHECK clo_err clo_auction_public_decode(clo_bytes p, clo_auction_public *out);
CLO_MUST_CHECK clo_err clo_vote_public_decode(clo_bytes p, clo_vote_public *out);
CLO_MUST_CHECK clo_err clo_oracle_public_decode(clo_bytes p, clo_oracle_public *out);
CLO_MUST_CHECK clo_err clo_policy_public_decode(clo_bytes p, clo_policy_public *out);
CLO_MUST_CHECK clo_err clo_onnx_public_decode(clo_bytes p, clo_onnx_public *out);

/* Inputs (each one request envelope's plaintext) and configs. */
CLO_MUST_CHECK clo_err clo_auction_config_encode(uint8_t rule, const uint8_t reserve[32],
                                                 clo_buf *out); /* rule 1 first, 2 second */
CLO_MUST_CHECK clo_err clo_auction_bid_encode(const uint8_t bidder[20], const uint8_t amount[32],
                                              clo_buf *out);
CLO_MUST_CHECK clo_err clo_vote_ballot_encode(const uint8_t voter[20], uint16_t choice,
                                              clo_buf *out);
/* An oracle source's report: n (1..256) observations, times strictly increasing. */
typedef struct {
    uint64_t time;
    int64_t price;
} clo_oracle_obs;
CLO_MUST_CHECK clo_err clo_oracle_report_encode(const uint8_t source[20], const clo_oracle_obs *obs,
                                                size_t n, clo_buf *out);

/* The auction's private output to one bidder: won, and the price it pays. */
CLO_MUST_CHECK clo_err clo_auction_private_decode(clo_bytes p, int *won, uint8_t price[32]);

#endif
