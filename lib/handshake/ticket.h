/*
 * ticket.h - TLS 1.3 session state for resumption (RFC 8446 4.6.1, 2.2): the client's
 * sessions (what a NewSessionTicket leaves behind) and the server's self-encrypted
 * tickets.
 *
 * Notes:
 * - A client session is exported as bytes (mt_session_encode) so a script can keep it
 *   across processes; the format starts with "MTS1" and holds the suite, the PSK, the
 *   ticket, its lifetime and age_add, when it arrived, the max_early_data_size, the ALPN
 *   protocol and the server name. It carries a secret (the PSK): treat it like a key.
 * - A server ticket is the server's own session state sealed with AES-256-GCM under the
 *   configuration's ticket key: iv(12) || ciphertext || tag(16), the AAD a fixed
 *   label, the IV an HMAC of the drawn nonce and the plaintext (unique per plaintext
 *   even when a seeded rng repeats the draw). Nothing else is remembered, so a ticket from another key, a forged or a
 *   truncated one simply does not open (the server then falls back to a full handshake).
 */
#ifndef MT_HANDSHAKE_TICKET_H
#define MT_HANDSHAKE_TICKET_H

#include <stddef.h>
#include <stdint.h>

#include "buf/buf.h"
#include "crypto/hash.h"

#define MT_TICKET_KEY_LEN 32
/* RFC 8446 4.6.1: "Servers MUST NOT use any value greater than 604800 seconds". */
#define MT_TICKET_MAX_LIFETIME 604800u

/* What both sides remember about a resumable session. */
typedef struct mt_session {
    uint16_t suite;
    int64_t time;           /* client: when the ticket arrived; server: when it was issued */
    uint32_t lifetime;      /* seconds */
    uint32_t age_add;
    uint32_t max_early_data;
    uint8_t psk[MT_HASH_MAX_LEN];
    size_t psk_len;
    char alpn[256];
    char sni[256];
    mt_buf ticket; /* client: the identity to send; server: unused */
} mt_session;

void mt_session_free(mt_session *s); /* wipes; s may be reused after */

/* Client sessions as bytes: encode appends to out; decode fills s (free it with
 * mt_session_free) and returns 0 or MT_ERR_DECODE / MT_ERR_UNSUPPORTED (another format). */
int mt_session_encode(const mt_session *s, mt_buf *out);
int mt_session_decode(mt_session *s, const uint8_t *p, size_t n);

/* Server: seal s (without its ticket field) into a ticket appended to out. nonce is 12
 * random bytes. Open: 0 and s filled, MT_ERR_NOT_FOUND when the ticket does not open
 * (wrong key, forged, malformed), or another error. */
int mt_ticket_seal(const uint8_t key[MT_TICKET_KEY_LEN], const uint8_t nonce[12],
                   const mt_session *s, mt_buf *out);
int mt_ticket_open(const uint8_t key[MT_TICKET_KEY_LEN], const uint8_t *ticket, size_t n,
                   mt_session *s);

#endif
