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

/* oracle-https (docs/formats.md §5.6): one record per source. */
typedef struct {
    uint8_t outcome; /* CLO_FETCH_* (workloads/workload.h) */
    char host[254];
    uint16_t port;
    uint8_t path_sha256[32], spki_sha256[32];
    uint16_t tls_version, http_status;
    uint64_t date, cert_from, cert_until;
    uint8_t body_sha256[32];
    int64_t value;
} clo_https_record;
typedef struct {
    int64_t value;
    uint16_t used, outliers, failed;
    uint64_t as_of, valid_from, valid_until;
    size_t count;
    clo_https_record src[CLO_WL_MAX_SOURCES];
    clo_excluded excluded;
} clo_oracle_https_public;
/* The name of an outcome ("used", "outlier", "not-fetched", "tls-auth", ...). */
const char *clo_fetch_outcome_name(uint8_t outcome);

/* One source of an oracle-https config. */
typedef struct {
    const char *host;
    uint16_t port;
    const char *path, *json_path;
    uint8_t decimals, trust; /* CLO_TRUST_CA: the config's CAs */
    size_t npins;
    const uint8_t (*pins)[32];
    uint8_t headers_secret[32], client_secret[32];
} clo_https_source_spec;
CLO_MUST_CHECK clo_err clo_oracle_https_config_encode(uint16_t min_sources, uint32_t max_dev_bps,
                                                      uint32_t max_age, const clo_bytes *cas,
                                                      size_t nca, const clo_https_source_spec *s,
                                                      size_t n, clo_buf *out);

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
CLO_MUST_CHECK clo_err clo_oracle_https_public_decode(clo_bytes p, clo_oracle_https_public *out);
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
