/* tv.h — helpers for tests that read the shared conformance vectors as data.
 * Failures abort the test with a message naming the file or field. */
#ifndef CLO_TESTS_TV_H
#define CLO_TESTS_TV_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/bytes.h"

/* Full path of a file under the shared test vectors (env CLO_TESTVECTORS overrides). */
const char *tv_path(const char *rel);
/* Parse a JSON file under the test vectors; aborts on failure. */
json_t *tv_json(const char *rel);
/* Read a whole file (any path) into a buffer; aborts on failure. */
clo_buf tv_read_file(const char *path);
/* Decode the hex string member `key` of obj (aborts if missing or not hex). */
clo_buf tv_hex(const json_t *obj, const char *key);
/* Decode a hex C string. */
clo_buf tv_hex_str(const char *hex);
const char *tv_str(const json_t *obj, const char *key);
long long tv_int(const json_t *obj, const char *key);
/* 1 if the JSON array of strings `key` in obj contains s. */
int tv_has_flag(const json_t *obj, const char *key, const char *s);
/* Assert two byte strings are equal, naming what is compared. */
void tv_assert_bytes(const char *what, clo_bytes got, clo_bytes want);

#endif
