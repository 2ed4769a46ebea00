# The gateway's build. `make` builds bin/gateway; `make test` installs what is missing,
# builds twice (normal and ASan+UBSan) and runs every test in both; `make run` shows the
# engine on samples/; `make bench` and `make fuzz` are described in README.md.

CC      ?= cc
CSTD    := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-missing-field-initializers
PKGS    := libxml-2.0 libxslt jansson sqlite3 libcrypto libmicrohttpd libcurl libssh2 gmime-3.0 zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# BUILD selects the flavour; its objects live in build/$(BUILD).
BUILD   ?= release
ifeq ($(BUILD),asan)
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
else
OPT     := -O2 -g
endif
CFLAGS  := $(CSTD) $(WARN) $(OPT) $(PKG_CFLAGS) -Iparsers -Igateway \
           -DGATEWAY_FORMATS_DIR='"$(CURDIR)/formats"' $(EXTRA_CFLAGS)
LDLIBS  := $(PKG_LIBS) -pthread $(EXTRA_LDLIBS)
LDFLAGS := $(OPT)

B := build/$(BUILD)

PARSER_SRC  := $(wildcard parsers/*.c)
GATEWAY_SRC := $(wildcard gateway/*.c)
UNIT_SRC    := $(wildcard tests/unit/test_*.c)

PARSER_OBJ  := $(PARSER_SRC:%.c=$(B)/obj/%.o)
GATEWAY_OBJ := $(GATEWAY_SRC:%.c=$(B)/obj/%.o)
# Everything of the program but main(): unit tests link it to test gateway/ modules.
GATEWAY_LIB_OBJ := $(filter-out $(B)/obj/gateway/main.o,$(GATEWAY_OBJ))
UNIT_BIN    := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

.PHONY: all build deps test test-one run bench fuzz clean

all: bin/gateway

# Copied under a temporary name, then renamed: a running bin/gateway is never overwritten.
bin/gateway: $(B)/gateway
	@mkdir -p bin
	cp $< $@.tmp && mv -f $@.tmp $@

build: $(B)/gateway $(UNIT_BIN)

$(B)/libparsers.a: $(PARSER_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/libgateway.a: $(GATEWAY_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/gateway: $(B)/obj/gateway/main.o $(B)/libgateway.a $(B)/libparsers.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/%: tests/unit/%.c $(B)/libgateway.a $(B)/libparsers.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -MMD -MP -MF $@.d $(LDFLAGS) -o $@ $< $(B)/libgateway.a $(B)/libparsers.a $(LDLIBS) -lcmocka

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(PARSER_OBJ:.o=.d) $(GATEWAY_OBJ:.o=.d) $(UNIT_BIN:=.d)

deps:
	@scripts/install-deps.sh

# Every test twice: a normal build and an ASan+UBSan build. The last line is the total.
test: deps
	@$(MAKE) --no-print-directory BUILD=release build bin/gateway
	@$(MAKE) --no-print-directory BUILD=asan build
	@$(MAKE) --no-print-directory -s fuzz-build
	@tests/run.sh build/release build/asan

run: deps bin/gateway
	@scripts/demo.sh

$(B)/bench/edi_bench: bench/edi_bench.c $(B)/libparsers.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libparsers.a $(LDLIBS)

$(B)/bench/map_bench: bench/map_bench.c $(B)/libgateway.a $(B)/libparsers.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libgateway.a $(B)/libparsers.a $(LDLIBS)

bench: deps
	@$(MAKE) --no-print-directory BUILD=release bin/gateway build/release/bench/edi_bench \
		build/release/bench/map_bench
	@bench/run.sh

FUZZ_SECONDS ?= 60
fuzz-build:
	@tests/fuzz/build.sh

fuzz: deps fuzz-build
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

clean:
	rm -rf build bin
