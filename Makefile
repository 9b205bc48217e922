# libsio: a Socket.IO server in C.
#   make            build the library, programs and tests
#   make run        install missing dependencies, build and start the main server
#                   on port 3000 (the chat demo at http://localhost:3000/)
#   make install    the library, its headers and libsio.pc; sio-server and its data
#                   (PREFIX=/usr/local, DESTDIR respected; make uninstall removes them)
#   make test       install missing dependencies, then run every test
#   make asan       the same tests under ASan + UBSan (build in build-asan/)
#   make asan-clang the same tests under clang's ASan + UBSan (build in build-clang/):
#                   clang's UBSan checks what gcc's does not (NULL + 0, for one)
#   make tsan       the thread-safety stress test under TSan (build in build-tsan/)
#   make fuzz       build the libFuzzer targets and run each for FUZZ_SECONDS (build-fuzz/)
#   make soak       SOAK_SECONDS (180) of client churn on sio-echo and sio-server, then a
#                   check that fds, sessions and memory came back (docs/soak.md)
# SANITIZER=address,undefined builds with sanitizers into build-asan/
# (SANITIZER=thread: build-tsan/; another list: build-<its first word>/).

CC      ?= cc
STD     := -std=c11 -D_GNU_SOURCE
WARN    := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-unused-parameter -Wvla
OPT     ?= -O2 -g
DEPS    := -MMD -MP
PKGS    := libwebsockets
comma   := ,
ifeq ($(SANITIZER),)
BUILD   ?= build
SANFLAGS :=
else
BUILD   ?= build-$(firstword $(subst $(comma), ,$(subst address,asan,$(subst thread,tsan,$(SANITIZER)))))
SANFLAGS := -fsanitize=$(SANITIZER) -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT     := -O1 -g
endif

# Build lines are shortened to what is made ("CC src/util/buf.c"); V=1
# prints the whole commands.
ifeq ($(V),1)
Q     :=
say   :=
else
Q     := @
say    = @printf '  %-5s %s\n' $(1) $(2);
endif

CPPFLAGS += -Iinclude -Isrc -DJSMN_STRICT -DJSMN_PARENT_LINKS
# Position-independent for the shared library; hidden unless marked SIO_API
# (include/sio_api.h), so that only the public API is exported.
CFLAGS  += $(STD) $(WARN) $(OPT) $(DEPS) $(SANFLAGS) -fPIC -fvisibility=hidden
LDFLAGS += $(SANFLAGS)
LWS_LIBS  = $(shell pkg-config --libs libwebsockets libuv 2>/dev/null || echo -lwebsockets -luv)
# msgpack-c is used by src/msgpack/ (values between MessagePack and JSON
# text, and the msgpack parser of Socket.IO packets) and src/cluster/ (the
# Redis adapter's wire format); hiredis by src/cluster/ alone (the Redis
# client); tools/libsio.pc.in names them for static linking.
MSGPACK_LIBS = $(shell pkg-config --libs msgpack 2>/dev/null || echo -lmsgpackc)
HIREDIS_LIBS = $(shell pkg-config --libs hiredis 2>/dev/null || echo -lhiredis)
# zlib: the compression of polling responses (src/transport/http_compress.c).
ZLIB_LIBS = $(shell pkg-config --libs zlib 2>/dev/null || echo -lz)
# libxcrypt's crypt(), for the admin UI's bcrypt password hashes (src/admin/).
CRYPT_LIBS = $(shell pkg-config --libs libxcrypt 2>/dev/null || echo -lcrypt)
LIB_LIBS  = $(LWS_LIBS) $(MSGPACK_LIBS) $(HIREDIS_LIBS) $(ZLIB_LIBS) $(CRYPT_LIBS)
TEST_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)
CURL_LIBS = $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl)

# The library: every layer under src/ except the programs. It is built three
# ways: libsio.a, whose only global symbols are the public API's (the objects
# linked into one, the rest made local: nothing clashes with the names of an
# application or of another library); libsio.so.VERSION with the SONAME
# libsio.so.MAJOR, exporting only the public API; and libsio-internal.a, the
# objects as they are, for the unit and integration tests that reach inside.
# Programs and examples link libsio.a: they can only use the public API.
VERSION  := $(shell sed -n 's/^\#define SIO_VERSION_STRING "\(.*\)"/\1/p' include/sio_version.h)
MAJOR    := $(firstword $(subst ., ,$(VERSION)))
LIB_SRC  := $(sort $(wildcard src/util/*.c src/eio/*.c src/sio/*.c src/msgpack/*.c src/cluster/*.c src/transport/*.c src/api/*.c src/admin/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIB      := $(BUILD)/libsio.a
LIB_SO   := $(BUILD)/libsio.so.$(VERSION)
LIB_INTERNAL := $(BUILD)/libsio-internal.a

# The programs: one file each (src/programs/eio_echo.c -> build/eio-echo), or
# a folder of files each with one job (src/programs/sio-server/ ->
# build/sio-server); what they share is in src/programs/common/.
PROG_SRC := $(sort $(wildcard src/programs/*.c))
PROG_DIRS := $(filter-out common,$(notdir $(patsubst %/,%,$(sort $(dir $(wildcard src/programs/*/*.c))))))
COMMON_SRC := $(sort $(wildcard src/programs/common/*.c))
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/obj/%.o)
FILE_PROGS := $(patsubst src/programs/%.c,$(BUILD)/%,$(subst _,-,$(PROG_SRC)))
DIR_PROGS := $(PROG_DIRS:%=$(BUILD)/%)
PROGS    := $(FILE_PROGS) $(DIR_PROGS)

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNITS    := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%)
INTEG_SRC := $(sort $(wildcard tests/integration/test_*.c))
INTEGS   := $(INTEG_SRC:tests/integration/%.c=$(BUILD)/tests/integration/%)
# The load generator (docs/benchmarks.md): a folder with a file per job,
# tools/loadgen/ -> build/sio_loadgen. It is standalone: no project header,
# nothing of the library.
LOADGEN_SRC := $(sort $(wildcard tools/loadgen/*.c))
LOADGEN_OBJ := $(LOADGEN_SRC:%.c=$(BUILD)/obj/%.o)
TOOLS    := $(BUILD)/sio_loadgen
# Small programs the Node tests run, reaching inside the library.
TEST_TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TEST_TOOLS := $(patsubst tests/tools/%.c,$(BUILD)/tests/tools/%,$(subst _,-,$(TEST_TOOL_SRC)))
DOC_SRC  := $(sort $(wildcard docs/examples/*.c))
DOCS_BIN := $(DOC_SRC:docs/examples/%.c=$(BUILD)/examples/%)

# sio-server's data directory (src/programs/sio-server/data_dir.h), which it
# finds beside its executable (BUILD/share/sio-server here, and
# PREFIX/share/sio-server once installed): client/ the socket.io client's
# dist/ files and package.json, demo/ the chat demo (tools/demo/), admin-ui/
# the admin UI's static files with its font and icons (tools/assemble-admin-ui.sh).
# The packages come from tools/node_modules,
# pinned by tools/package-lock.json (tools/install-deps.sh installs them):
# the main program does not depend on the tests' install.
DATA       := $(BUILD)/share/sio-server
DATA_STAMP := $(BUILD)/.share-stamp
CLIENT_PKG := tools/node_modules/socket.io-client
DEMO_FILES := $(shell find tools/demo -type f 2>/dev/null)

.PHONY: install uninstall all run test unit integration interop asan asan-clang tsan deps check-layers clean bench bench-compression fuzz fuzz-build fuzz-seeds soak
all: $(LIB) $(LIB_SO) $(PROGS) $(UNITS) $(INTEGS) $(TOOLS) $(TEST_TOOLS) $(DOCS_BIN) $(DATA_STAMP)

# Objects are rebuilt when the compiler or its flags change (a stamp holds
# them), not only when a source does: an object built without -fPIC cannot
# go into the shared library, nor one without a sanitizer into its build.
FLAGS_STAMP := $(BUILD)/.cflags
$(FLAGS_STAMP): FORCE
	@mkdir -p $(dir $@)
	@echo '$(CC) $(CPPFLAGS) $(CFLAGS)' | cmp -s - $@ || echo '$(CC) $(CPPFLAGS) $(CFLAGS)' > $@
.PHONY: FORCE
FORCE:

# Objects made through pattern chains (the tests') are kept, not deleted as
# intermediates: the next build does not redo them, nor print their removal.
.SECONDARY:

$(BUILD)/obj/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(call say,CC,$<) $(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIB_INTERNAL): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	$(call say,AR,$@) $(AR) rcs $@ $^

$(BUILD)/libsio.o: $(LIB_OBJ)
	$(call say,LD,$@) $(LD) -r -o $@ $^ && objcopy --localize-hidden $@

$(LIB): $(BUILD)/libsio.o
	@rm -f $@
	$(call say,AR,$@) $(AR) rcs $@ $<

$(LIB_SO): $(LIB_OBJ)
	$(call say,LD,$@) $(CC) -shared -Wl,-soname,libsio.so.$(MAJOR) $(LDFLAGS) $^ $(LIB_LIBS) -lm -lpthread -o $@
	@ln -sf $(notdir $@) $(BUILD)/libsio.so.$(MAJOR)
	@ln -sf libsio.so.$(MAJOR) $(BUILD)/libsio.so

# make install [PREFIX=/usr/local] [LIBDIR=...] [INCLUDEDIR=...] [DESTDIR=...]:
# the two libraries with the SONAME's symbolic links, the public headers, and
# libsio.pc for pkg-config (made from tools/libsio.pc.in with these paths);
# the main program in PREFIX/bin and its data directory in
# PREFIX/share/sio-server, where it looks for it (../share/sio-server from
# its executable), so these two follow PREFIX alone.
PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
BINDIR     := $(PREFIX)/bin
SERVER_DATADIR := $(PREFIX)/share/sio-server
PUBLIC_HEADERS := $(sort $(wildcard include/*.h))
install: $(LIB) $(LIB_SO) $(BUILD)/sio-server $(DATA_STAMP)
	@[ -f $(DATA)/client/socket.io.js ] || { echo "install: no socket.io client in $(DATA)/client: run make deps first" >&2; exit 1; }
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(BINDIR)
	install -m 755 $(BUILD)/sio-server $(DESTDIR)$(BINDIR)/sio-server
	rm -rf $(DESTDIR)$(SERVER_DATADIR)
	install -d $(DESTDIR)$(SERVER_DATADIR)
	cp -R $(DATA)/. $(DESTDIR)$(SERVER_DATADIR)/
	chmod -R u=rwX,go=rX $(DESTDIR)$(SERVER_DATADIR)
	install -m 644 $(LIB) $(DESTDIR)$(LIBDIR)/libsio.a
	install -m 755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/libsio.so.$(VERSION)
	ln -sf libsio.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libsio.so.$(MAJOR)
	ln -sf libsio.so.$(MAJOR) $(DESTDIR)$(LIBDIR)/libsio.so
	install -m 644 $(PUBLIC_HEADERS) $(DESTDIR)$(INCLUDEDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' tools/libsio.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/libsio.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/libsio.pc

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libsio.a $(DESTDIR)$(LIBDIR)/libsio.so $(DESTDIR)$(LIBDIR)/libsio.so.$(MAJOR) \
	      $(DESTDIR)$(LIBDIR)/libsio.so.$(VERSION) $(DESTDIR)$(PKGCONFIGDIR)/libsio.pc \
	      $(addprefix $(DESTDIR)$(INCLUDEDIR)/,$(notdir $(PUBLIC_HEADERS))) $(DESTDIR)$(BINDIR)/sio-server
	rm -rf $(DESTDIR)$(SERVER_DATADIR)

# Program file names use '_', binaries use '-': src/programs/eio_echo.c -> build/eio-echo
.SECONDEXPANSION:
$(FILE_PROGS): $$(BUILD)/obj/src/programs/$$(subst -,_,$$(notdir $$@)).o $(COMMON_OBJ) $(LIB)
	$(call say,LD,$@) $(CC) $(LDFLAGS) $< $(COMMON_OBJ) $(LIB) $(LIB_LIBS) -lm -o $@

prog_objs = $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard src/programs/$(1)/*.c))
$(DIR_PROGS): $(BUILD)/%: $$(call prog_objs,$$*) $(COMMON_OBJ) $(LIB)
	$(call say,LD,$@) $(CC) $(LDFLAGS) $(filter %.o,$^) $(LIB) $(LIB_LIBS) -lm -o $@

UNIT_SUPPORT := $(patsubst %.c,$(BUILD)/obj/%.o,$(sort $(wildcard tests/unit/support/*.c)))
$(BUILD)/tests/unit/test_%: $(BUILD)/obj/tests/unit/test_%.o $(UNIT_SUPPORT) $(LIB_INTERNAL)
	@mkdir -p $(dir $@)
	$(call say,LD,$@) $(CC) $(LDFLAGS) $< $(UNIT_SUPPORT) $(LIB_INTERNAL) $(LIB_LIBS) $(TEST_LIBS) -lm -o $@

INTEG_SUPPORT := $(patsubst %.c,$(BUILD)/obj/%.o,$(sort $(wildcard tests/integration/support/*.c)))
$(INTEGS): $(BUILD)/tests/integration/%: $(BUILD)/obj/tests/integration/%.o $(INTEG_SUPPORT) $(LIB_INTERNAL)
	@mkdir -p $(dir $@)
	$(call say,LD,$@) $(CC) $(LDFLAGS) $< $(INTEG_SUPPORT) $(LIB_INTERNAL) $(LIB_LIBS) $(TEST_LIBS) $(CURL_LIBS) -lpthread -lm -o $@

$(TEST_TOOLS): $(BUILD)/tests/tools/%: $$(BUILD)/obj/tests/tools/$$(subst -,_,$$*).o $(LIB_INTERNAL)
	@mkdir -p $(dir $@)
	$(call say,LD,$@) $(CC) $(LDFLAGS) $< $(LIB_INTERNAL) $(LIB_LIBS) -lm -o $@

$(BUILD)/sio_loadgen: $(LOADGEN_OBJ)
	$(call say,LD,$@) $(CC) $(LDFLAGS) $^ -lm -o $@

$(DOCS_BIN): $(BUILD)/examples/%: $(BUILD)/obj/docs/examples/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(call say,LD,$@) $(CC) $(LDFLAGS) $< $(LIB) $(LIB_LIBS) -lm -o $@

$(DATA_STAMP): $(DEMO_FILES) tools/assemble-admin-ui.sh $(wildcard tools/node_modules/.package-lock.json)
	@rm -rf $(DATA)
	@mkdir -p $(DATA)/client $(DATA)/demo $(DATA)/admin-ui
	@cp -pR tools/demo/. $(DATA)/demo/
	@if [ -f $(CLIENT_PKG)/dist/socket.io.js ]; then cp -p $(CLIENT_PKG)/dist/* $(CLIENT_PKG)/package.json $(DATA)/client/; \
	 else echo "warning: no $(CLIENT_PKG): sio-server will not serve the client (make deps installs it)"; fi
	@bash tools/assemble-admin-ui.sh tools/node_modules $(DATA)/admin-ui
	@touch $@
	@echo "assembled $(DATA)"

deps:
	@bash tools/install-deps.sh

# The main job: the program below, on port 3000.
RUN_PROG ?= sio-server
run: deps
	@$(MAKE) --no-print-directory -s $(BUILD)/$(RUN_PROG) $(DATA_STAMP)
	$(BUILD)/$(RUN_PROG) --port 3000 $(RUN_ARGS)

check-layers:
	@bash tools/check-layers.sh

unit: $(UNITS)
	@bash tools/run-tests.sh unit $(BUILD)

integration: $(PROGS) $(INTEGS)
	@bash tools/run-tests.sh integration $(BUILD)

interop: $(PROGS) $(TEST_TOOLS) $(DATA_STAMP)
	@bash tools/run-tests.sh interop $(BUILD)

test: deps
	@$(MAKE) --no-print-directory all
	@bash tools/check-layers.sh
	@bash tools/check-symbols.sh $(BUILD)
	@bash tools/run-tests.sh all $(BUILD)

asan: deps
	@$(MAKE) --no-print-directory SANITIZER=address,undefined all
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  bash tools/run-tests.sh all build-asan

asan-clang: deps
	@$(MAKE) --no-print-directory SANITIZER=address,undefined CC=clang BUILD=build-clang all
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  bash tools/run-tests.sh all build-clang

# TSan: the unit tests of the engine and of the core (posting threads
# included), and the stress test of the posting threads over real sockets
# (libwebsockets itself is not instrumented; tools/tsan.supp says what is
# suppressed, and why).
TSAN_UNITS := build-tsan/tests/unit/test_sio_core build-tsan/tests/unit/test_eio_engine
tsan: deps
	@$(MAKE) --no-print-directory SANITIZER=thread build-tsan/sio-stress $(TSAN_UNITS)
	@TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tools/tsan.supp" \
	  bash tools/run-tests.sh unit build-tsan
	@TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tools/tsan.supp" \
	  SIO_BUILD_DIR=build-tsan node --test tests/interop/stress_threads.test.mjs

# Our server against Node's socket.io, same machine, same run (see docs/benchmarks.md).
bench:
	@bash tools/bench.sh $(BENCH_ARGS)

# What the compressions cost and save, ours against Node (docs/benchmarks.md).
bench-compression: $(BUILD)/sio-echo
	@node tools/bench/compression.mjs --messages $(or $(BENCH_MESSAGES),2000)

# Soak (docs/soak.md): thousands of clients of both protocol versions on every
# transport, leaving cleanly or by dropping their connections, for
# SOAK_SECONDS; fails if a client saw an error, or if the servers' descriptors,
# sessions or memory did not come back. SANITIZER=address,undefined soaks the
# ASan build. SOAK_CONCURRENCY, SOAK_SEED and others: see tools/soak.mjs.
SOAK_SECONDS ?= 180
soak: deps
	@$(MAKE) --no-print-directory $(BUILD)/sio-echo $(BUILD)/sio-server $(DATA_STAMP)
	@SIO_BUILD_DIR=$(BUILD) SOAK_SECONDS=$(SOAK_SECONDS) node tools/soak.mjs

# Fuzzing (docs/fuzzing.md): one libFuzzer target per tests/fuzz/fuzz_<name>.c,
# built with clang into build-fuzz/ from the sans-I/O sources only (nothing
# that needs libwebsockets). `make fuzz-build` builds them; `make fuzz` also
# builds each target's seed corpus from proto/ (tools/fuzz-seeds.sh) and runs
# it for FUZZ_SECONDS with its dictionary tests/fuzz/dict/<name>.dict, and
# fails if any target finds a crash, a leak or a broken invariant (the input
# is kept in build-fuzz/crashes/<name>/).
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 20
FUZZ_ARGS    ?=
FUZZ_BUILD   := build-fuzz
FUZZ_FLAGS   := -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_LIB_SRC := $(sort $(wildcard src/util/*.c src/eio/*.c src/sio/*.c src/msgpack/*.c src/cluster/*.c)) src/transport/http_framing.c \
                src/transport/http_compress.c src/transport/ws_deflate.c \
                src/api/sio_json.c src/programs/sio-server/emit_request.c
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_LIB     := $(FUZZ_BUILD)/libsio-fuzz.a
FUZZ_SRC     := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES   := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<) $(FUZZ_CC) $(CPPFLAGS) $(STD) $(WARN) $(FUZZ_FLAGS) $(DEPS) -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	$(call say,AR,$@) $(AR) rcs $@ $^

$(FUZZ_BINS): $(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB)
	$(call say,LD,$@) $(FUZZ_CC) $(FUZZ_FLAGS) $< $(FUZZ_LIB) $(MSGPACK_LIBS) $(ZLIB_LIBS) -lm -o $@

fuzz-build: $(FUZZ_BINS)

fuzz-seeds:
	@bash tools/fuzz-seeds.sh $(FUZZ_BUILD)/corpus

fuzz: fuzz-build fuzz-seeds
	@failed=""; \
	for t in $(FUZZ_NAMES); do \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  mkdir -p $(FUZZ_BUILD)/crashes/$$t; \
	  $(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -dict=tests/fuzz/dict/$$t.dict -artifact_prefix=$(FUZZ_BUILD)/crashes/$$t/ $(FUZZ_ARGS) \
	    $(FUZZ_BUILD)/corpus/$$t > $(FUZZ_BUILD)/fuzz_$$t.log 2>&1 \
	    || { failed="$$failed $$t"; echo "fuzz: $$t FAILED, see $(FUZZ_BUILD)/fuzz_$$t.log; its report:"; \
	         grep -v -E '^(#[0-9]+|INFO:)' $(FUZZ_BUILD)/fuzz_$$t.log | tail -n 80 | sed 's/^/  | /'; }; \
	  grep -E '^#[0-9]+[[:space:]]+DONE' $(FUZZ_BUILD)/fuzz_$$t.log | tail -n 1; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: failed:$$failed"; exit 1; fi; \
	echo "fuzz: $(words $(FUZZ_NAMES)) targets, no crash"

clean:
	rm -rf build build-asan build-clang build-tsan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
-include $(shell find $(FUZZ_BUILD) -name '*.d' 2>/dev/null)
