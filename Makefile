# moontls - one Makefile, the one source list (the rockspec builds through it too).
#
#   make            build build/libmoontls.a, build/libmoontls.so and the Lua module
#   make deps       install missing Debian packages (no-op when all are there)
#   make demo       deps + build + the demo
#   make test       deps + build + every test; ends with "N passed, M failed"
#   make asan       C tests under AddressSanitizer + UBSan
#   make valgrind   C tests under valgrind (leaks are failures)
#   make fuzz       every libFuzzer target for FUZZ_TIME seconds (default 60)
#   make bench-crypto   cost of each primitive next to `openssl speed`
#   make MATH=gmp   big-number math on GMP instead of libtommath (build/gmp/)

MATH ?= ltm
ifeq ($(MATH),gmp)
  BUILD ?= build/gmp
  MATHDEF := -DGMP_DESC -DMT_MATH_GMP
  MATHLIBS := -lgmp
else
  BUILD ?= build
  MATHDEF := -DLTM_DESC
  MATHLIBS :=
endif

CC ?= cc
LUA ?= lua5.4
LUA_INC ?= /usr/include/lua5.4
OPT ?= -O2 -g
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CFLAGS_ALL := -std=c11 -D_DEFAULT_SOURCE $(OPT) $(WARN) -fPIC -Ilib $(MATHDEF) $(CFLAGS)
LIBS := -ltomcrypt -ltommath $(MATHLIBS)
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

LIB_SRC := $(shell find lib -name '*.c' | sort)
LIB_HDR := $(shell find lib -name '*.h')
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
BIND_SRC := $(wildcard bindings/*.c)
BIND_OBJ := $(BIND_SRC:%.c=$(BUILD)/obj/%.o)
CTEST_SRC := $(sort $(wildcard spec/c/test_*.c))
CTEST_BIN := $(CTEST_SRC:spec/c/%.c=$(BUILD)/test/%)
ASAN_LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/asan/obj/%.o)
ASAN_BIN := $(CTEST_SRC:spec/c/%.c=$(BUILD)/asan/test/%)
FUZZ_SRC := $(sort $(wildcard spec/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:spec/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_TIME ?= 60

DEBS := lua5.4 liblua5.4-dev libtomcrypt-dev libtommath-dev libgmp-dev lua-busted lua-socket lua-dkjson \
        openssl gnutls-bin clang libclang-rt-14-dev valgrind tshark
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Quiet by default (one short line per step); `make V=1` shows the commands.
ifeq ($(V),1)
  Q :=
  say = @true
else
  Q := @
  say = @printf '  %-6s %s\n' $(1) $(2)
endif

export LUA_PATH := $(CURDIR)/bindings/?.lua;$(CURDIR)/bindings/?/init.lua;$(CURDIR)/spec/?.lua;;
export LUA_CPATH := $(CURDIR)/$(BUILD)/?.so;;

.PHONY: all deps demo test ctest asan valgrind busted check-boundaries fuzz bench-crypto \
        bench clean format

all: $(BUILD)/libmoontls.a $(BUILD)/libmoontls.so $(BUILD)/moontls/core.so

deps:
	@missing=$$(for p in $(DEBS); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing" $$missing; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	    $$missing >/dev/null; \
	fi

$(BUILD)/obj/%.o: %.c $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/obj/bindings/%.o: bindings/%.c $(LIB_HDR) $(wildcard bindings/*.h)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS_ALL) -I$(LUA_INC) -c $< -o $@

$(BUILD)/libmoontls.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/libmoontls.so: $(LIB_OBJ)
	$(call say,LD,$@)
	$(Q)$(CC) -shared -o $@ $^ $(LIBS)

$(BUILD)/moontls/core.so: $(BIND_OBJ) $(BUILD)/libmoontls.a
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) -shared -o $@ $(BIND_OBJ) $(BUILD)/libmoontls.a $(LIBS)

# Extra link flags per C test: test_plain_wipe sees every free() of lib/ (spec/c/test_plain_wipe.c).
TEST_LDFLAGS_test_plain_wipe := -Wl,--wrap=free

$(BUILD)/test/%: spec/c/%.c $(wildcard spec/c/*.h) $(BUILD)/libmoontls.a
	@mkdir -p $(dir $@)
	$(call say,TEST,$@)
	$(Q)$(CC) $(CFLAGS_ALL) -o $@ $< $(BUILD)/libmoontls.a $(LIBS) $(TEST_LDFLAGS_$*)

$(BUILD)/asan/obj/%.o: %.c $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(call say,CC-SAN,$<)
	$(Q)$(CC) $(CFLAGS_ALL) $(SAN) -c $< -o $@

$(BUILD)/asan/test/%: spec/c/%.c $(wildcard spec/c/*.h) $(ASAN_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(call say,TEST-SAN,$@)
	$(Q)$(CC) $(CFLAGS_ALL) $(SAN) -o $@ $< $(ASAN_LIB_OBJ) $(LIBS) $(TEST_LDFLAGS_$*)

check-boundaries:
	@bad=$$(grep -rlE '#include *[<"](lua|lauxlib|lualib)\.h' lib); \
	if [ -n "$$bad" ]; then echo "lib/ must not include Lua headers: $$bad"; exit 1; fi; \
	bad=$$(grep -rlE '#include *[<"]tom(crypt|math)\.h' lib bindings scripts spec | grep -v '^lib/crypto/'); \
	if [ -n "$$bad" ]; then echo "only lib/crypto/ may include tomcrypt.h/tommath.h: $$bad"; exit 1; fi; \
	bad=$$(grep -lE '#include *"' bindings/*.c | xargs -r grep -hE '#include *"' | grep -vE '"(\.\./lib/)?moontls\.h"|"[a-z_]+\.h"' ); \
	if [ -n "$$bad" ]; then echo "bindings include only lib/moontls.h: $$bad"; exit 1; fi; \
	bad=$$(grep -rnE '\b(fopen|fread|fwrite|socket|connect|accept|getenv|gettimeofday|clock_gettime)\(' lib); \
	if [ -n "$$bad" ]; then echo "lib/ does no I/O and reads no clock: $$bad"; exit 1; fi; \
	echo "boundaries ok"

ctest: $(CTEST_BIN)
asan: $(ASAN_BIN)
	@bash spec/run-tests.sh asan

valgrind: $(CTEST_BIN)
	@bash spec/run-tests.sh valgrind

test: deps
	@$(MAKE) --no-print-directory all $(CTEST_BIN) $(ASAN_BIN)
	@$(MAKE) --no-print-directory MATH=gmp BUILD=$(BUILD)/gmp \
	  $(CTEST_SRC:spec/c/%.c=$(BUILD)/gmp/test/%)
	@$(MAKE) --no-print-directory check-boundaries
	@BUILD=$(BUILD) bash spec/run-tests.sh all

demo: deps
	@$(MAKE) --no-print-directory all
	@$(LUA) scripts/demo.lua

$(BUILD)/fuzz/%: spec/fuzz/%.c $(LIB_SRC) $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(call say,FUZZ,$@)
	$(Q)clang -std=c11 -D_DEFAULT_SOURCE -g -O1 -Ilib $(MATHDEF) -fsanitize=fuzzer,address,undefined \
	  -o $@ $< $(LIB_SRC) $(LIBS)

fuzz: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do \
	  n=$$(basename $$f); mkdir -p $(BUILD)/fuzz/corpus/$$n; \
	  echo "fuzz $$n for $(FUZZ_TIME)s"; \
	  $$f -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	    $(BUILD)/fuzz/corpus/$$n spec/fuzz/corpus/$$n || exit 1; \
	done

$(BUILD)/bench/bench_crypto: spec/bench/bench_crypto.c $(BUILD)/libmoontls.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(BUILD)/libmoontls.a $(LIBS)

bench-crypto: $(BUILD)/bench/bench_crypto
	@bash spec/bench/bench-crypto.sh $(BUILD)/bench/bench_crypto

format:
	clang-format -i $$(find lib bindings spec/c spec/fuzz spec/bench -name '*.[ch]')

clean:
	rm -rf build

# `make install` is what the rockspec calls; LUADIR/LIBDIR come from LuaRocks.
PREFIX ?= /usr/local
LUADIR ?= $(PREFIX)/share/lua/5.4
LIBDIR ?= $(PREFIX)/lib/lua/5.4
install: all
	install -d $(DESTDIR)$(LUADIR)/moontls $(DESTDIR)$(LIBDIR)/moontls
	install -m 644 bindings/moontls/*.lua $(DESTDIR)$(LUADIR)/moontls/
	install -m 755 $(BUILD)/moontls/core.so $(DESTDIR)$(LIBDIR)/moontls/core.so
.PHONY: install

# Re-record the engine fuzz targets' seed inputs (a deterministic in-memory handshake).
$(BUILD)/fuzz/make_corpus: spec/fuzz/make_corpus.c spec/fuzz/engine_common.h $(BUILD)/libmoontls.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(BUILD)/libmoontls.a $(LIBS)
fuzz-corpus: $(BUILD)/fuzz/make_corpus
	$(BUILD)/fuzz/make_corpus
.PHONY: fuzz-corpus

# `make bench`: handshakes, bulk and idle memory next to OpenSSL (spec/bench/bench.sh).
BENCH_WRAP := mt_x25519 mt_x25519_base mt_ecdsa_sign mt_ecdsa_verify mt_rsa_sign_pss \
  mt_rsa_sign_pkcs1 mt_rsa_verify_pss mt_rsa_verify_pkcs1 mt_ecdh mt_ec_generate mt_hmac \
  mt_hmac_final mt_hash_update mt_hash mt_hash_final mt_hash_peek mt_hkdf_extract \
  mt_hkdf_expand_label mt_derive_secret
$(BUILD)/bench/bench_engine: spec/bench/bench_engine.c spec/bench/bench_common.h $(BUILD)/libmoontls.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(BUILD)/libmoontls.a $(LIBS) $(foreach f,$(BENCH_WRAP),-Xlinker --wrap=$(f))
$(BUILD)/bench/bench_server $(BUILD)/bench/bench_client: $(BUILD)/bench/%: spec/bench/%.c spec/bench/bench_common.h $(BUILD)/libmoontls.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(BUILD)/libmoontls.a $(LIBS)
bench: all $(BUILD)/bench/bench_crypto $(BUILD)/bench/bench_server $(BUILD)/bench/bench_client \
       $(BUILD)/bench/bench_engine
	@bash spec/bench/bench.sh $(BUILD)
