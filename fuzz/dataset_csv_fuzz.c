/* dataset_csv_fuzz.c — the trainer's CSV reader (host/train.h) on arbitrary
 * bytes. Properties beyond "no crash": a refusal holds nothing and names a
 * line; what parses has every class index inside its class count and every
 * feature finite. */
#include <math.h>
#include <stdlib.h>

#include "model/train.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clo_dataset d;
    size_t line;
    if (clo_dataset_parse_csv(CLO_BYTES(data, size), &d, &line).code) {
        if (d.x || d.y || line == 0) abort();
        return 0;
    }
    if (d.classes < 2 || !d.rows || !d.features) abort();
    for (size_t r = 0; r < d.rows; r++) {
        if (d.y[r] < 0 || (size_t)d.y[r] >= d.classes) abort();
        for (size_t f = 0; f < d.features; f++)
            if (!isfinite(d.x[r * d.features + f])) abort();
    }
    clo_dataset_free(&d);
    return 0;
}
