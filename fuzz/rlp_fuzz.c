/* rlp_fuzz.c — RLP and raw transactions on untrusted bytes (what a node or a
 * journal could hand back). Properties beyond "no crash": an accepted RLP item
 * covers the input and re-encodes to it byte for byte (walking it with the
 * encoder); an accepted transaction re-encodes to the same bytes. */
#include <stdlib.h>
#include <string.h>

#include "chain/rlp.h"
#include "chain/tx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void reencode(const clo_rlp_item *item, clo_buf *out)
{
    if (!item->is_list) {
        if (clo_rlp_put_bytes(out, item->payload).code) abort();
        return;
    }
    size_t mark;
    if (clo_rlp_list_open(out, &mark).code) abort();
    clo_cur c = clo_cur_init(item->payload);
    while (clo_cur_left(&c)) {
        clo_rlp_item child;
        if (clo_rlp_next(&c, &child).code) abort(); /* validated before */
        reencode(&child, out);
    }
    if (clo_rlp_list_close(out, mark).code) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clo_bytes in = CLO_BYTES(data, size);
    clo_rlp_item item;
    if (!clo_rlp_decode(in, &item).code) {
        clo_buf out;
        clo_buf_init(&out, size + 16);
        reencode(&item, &out);
        if (out.len != size || memcmp(out.ptr, data, size) != 0) abort();
        clo_buf_free(&out);
    }
    clo_tx tx;
    if (!clo_tx_decode(in, &tx).code) {
        clo_buf out;
        clo_buf_init(&out, CLO_TX_MAX_SIZE);
        if (clo_tx_encode(&tx, &out).code) abort();
        if (out.len != size || memcmp(out.ptr, data, size) != 0) abort();
        clo_buf_free(&out);
        uint8_t who[20];
        CLO_IGNORE(clo_tx_check(&tx, 1));
        CLO_IGNORE(clo_tx_sender(&tx, who));
    }
    return 0;
}
