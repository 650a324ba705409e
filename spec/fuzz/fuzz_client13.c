/*
 * fuzz_client13.c - the TLS 1.3 client engine fed arbitrary bytes as its peer. No crash,
 * no leak, no hang; every failure must be a clean sticky error. The seed corpus holds a
 * real peer flight recorded with the same deterministic configuration.
 */
#include "engine_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t ctr = 0;
    mt_config *cfg = fuzz_config(MT_ROLE_CLIENT, &ctr);
    mt_conn *conn = mt_conn_new(cfg);
    fuzz_drive(conn, data, size);
    mt_conn_free(conn);
    mt_config_unref(cfg);
    return 0;
}
