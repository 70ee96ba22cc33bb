/* jsonpath_fuzz.c — a JSON document from a fetched source and a path (the
 * input's first line), as the enclave reads a price. Properties beyond "no
 * crash": a path the checker refuses never extracts; the extraction is
 * deterministic; a value read with more decimals is the same number scaled
 * (truncation aside). */
#include <stdlib.h>
#include <string.h>

#include "workloads/jsonpath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[CLO_JSONPATH_MAX_LEN + 1];
    if (size == 0) return 0;
    const uint8_t *nl = memchr(data, '\n', size < sizeof path ? size : sizeof path);
    if (!nl) return 0;
    size_t plen = (size_t)(nl - data);
    memcpy(path, data, plen);
    path[plen] = 0;
    if (memchr(path, 0, plen)) return 0;
    clo_bytes doc = CLO_BYTES(nl + 1, size - plen - 1);
    int64_t a, b, c;
    clo_err e = clo_jsonpath_decimal(doc, path, 2, &a);
    if (!e.code && clo_jsonpath_check(path).code) abort();
    clo_err e2 = clo_jsonpath_decimal(doc, path, 2, &b);
    if (e.code != e2.code || (!e.code && a != b)) abort();
    if (!e.code && !clo_jsonpath_decimal(doc, path, 0, &c).code && c != a / 100) abort();
    return 0;
}
