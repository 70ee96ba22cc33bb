/* config_fuzz.c — cloisterd's configuration parser on untrusted bytes.
 * Properties beyond "no crash": a refused file leaves the configuration
 * exactly as it was, and the error message names a key or a line. */
#include <stdlib.h>
#include <string.h>

#include "host/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clo_config before, cfg;
    char msg[256] = "";
    clo_config_defaults(&before);
    cfg = before;
    clo_err e = clo_config_parse(CLO_BYTES(data, size), &cfg, msg, sizeof msg);
    if (e.code) {
        if (memcmp(&cfg, &before, sizeof cfg) || strncmp(msg, "config: ", 8)) abort();
    } else {
        char *dump = clo_config_dump(&cfg);
        if (!dump) abort();
        free(dump);
    }
    return 0;
}
