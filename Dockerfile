# fake-servicer: mock HTTP services from hot-reloaded Rust plugins.
#
# Targets:
#   runtime (default)  the server alone, no plugins: mount yours (a cargo
#                      target/ dir) on /app/services, or stub files with
#                      --mappings; with nothing mounted it serves no service.
#   dev                source mode: the Rust toolchain and the server; mount
#                      plugin crates at /app/services and the server builds,
#                      serves and rebuilds them (no Rust needed on the host).
#                      Keep /app/target and /usr/local/cargo/registry in
#                      named volumes so restarts build incrementally.
#   wiremock           WireMock's image's place (tag fake-servicer:wiremock):
#                      port 8080, root /home/wiremock (mappings/, __files/),
#                      the command read as WireMock's (docs/wiremock.md).
#   sdk                the Rust toolchain on the runtime's glibc: build plugins
#                      with it when your machine's glibc is newer than the
#                      image's (a plugin built against a newer glibc does not
#                      load), or on macOS/Windows.
#
# The plugins in the build context (./plugins) are not built here and not
# part of any image: editing them never rebuilds the server.
#
# Builds with the legacy builder (DOCKER_BUILDKIT=0) and Docker 20.10: no
# BuildKit-only syntax such as `RUN --mount=type=cache`. The cache is the
# dependency layer below. Behind a TLS-intercepting proxy (or offline), run
# `cargo vendor vendor` in the build context first: a vendor/ directory
# makes the build need no network (the dev image then builds plugins from it
# too). See docs/docker.md.
#
# The build stage's images carry the label fake-servicer.stage=build; each
# build that changes the sources leaves one untagged. Free them with
#   docker image prune --filter label=fake-servicer.stage=build

FROM rust:1-slim-bookworm AS sdk
WORKDIR /work

# The workspace's skeleton: its manifests, and an empty stand-in for each
# library, binary and build script of its members (never a test's), from
# `cargo metadata`. ./plugins (dropped from the members) and vendor/ are
# left out. This stage runs again whenever the context changes, but its
# result changes only with a manifest or a crate's set of targets, so the
# dependency layer below, built from it, stays cached across source edits.
FROM sdk AS skeleton
LABEL fake-servicer.stage=build
WORKDIR /src
COPY . .
RUN sed -i -E 's#"plugins/[^"]*"[[:space:]]*,?[[:space:]]*##g' Cargo.toml \
    && cargo metadata --no-deps --offline --format-version 1 > /tmp/metadata.json \
    && mkdir -p /skeleton/src && cp Cargo.toml /skeleton/src/ \
    && for m in $(grep -o '"manifest_path":"[^"]*"' /tmp/metadata.json | cut -d'"' -f4); do \
        mkdir -p "/skeleton$(dirname "$m")" && cp "$m" "/skeleton$m"; \
    done \
    && for t in $(grep -o '{"kind":\[[^]]*\][^{}]*}' /tmp/metadata.json \
            | grep -v '"kind":\["\(test\|bench\|example\)"\]' \
            | grep -o '"src_path":"[^"]*"' | cut -d'"' -f4); do \
        mkdir -p "/skeleton$(dirname "$t")" && printf '#[allow(dead_code)]\nfn main() {}\n' > "/skeleton$t"; \
    done

FROM sdk AS build
LABEL fake-servicer.stage=build
WORKDIR /src
# The dependencies first, in a layer of their own that only Cargo.lock,
# vendor/ and the skeleton invalidate: building the image again after an
# edit to the sources compiles only the server's own crates. (The `vendo[r]`
# pattern copies a vendor/ directory's crates when there is one.)
COPY Cargo.lock vendo[r] /deps/
COPY --from=skeleton /skeleton/src/ ./
# No `--locked`: Cargo.lock pins every version, but it also lists the plugins
# of ./plugins (left out of the image), and a plugin just made with
# `fake-servicer new` is not in it yet; either would fail `--locked`.
RUN mv /deps/Cargo.lock . \
    && if [ -n "$(ls /deps)" ]; then \
        printf '[source.crates-io]\nreplace-with = "vendored"\n[source.vendored]\ndirectory = "/deps"\n' > "$CARGO_HOME/config.toml"; \
    fi \
    && cargo build --release -p fake-servicer
# The server's crates; the workspace's other members keep their stand-ins.
COPY server/ server/
COPY wiremock/ wiremock/
COPY grpc/ grpc/
COPY core/ core/
COPY sdk/ sdk/
COPY sdk-macros/ sdk-macros/
# (The vendored crates are copied, not moved: a move out of an earlier layer
# copies anyway, and overlayfs can fail to remove what it copied.)
RUN find server wiremock grpc core sdk sdk-macros -name '*.rs' -exec touch {} + \
    && cargo build --release -p fake-servicer \
    && mkdir -p /out/dev/app /out/dev/cargo \
    && cp target/release/fake-servicer /out/ \
    && FAKE_SERVICER_SDK=/app/sdk /out/fake-servicer new warm /out/warm >/dev/null \
    && cp -r sdk sdk-macros /out/dev/app/ \
    && if [ -f "$CARGO_HOME/config.toml" ]; then \
        cp -a /deps /out/dev/app/vendor \
        && sed 's#"/deps"#"/app/vendor"#' "$CARGO_HOME/config.toml" > /out/dev/cargo/config.toml; \
    fi

# Source mode. The SDK sits at /app/sdk, so a plugin crate mounted at
# /app/services/<name> depends on it as `path = "../../sdk"`, exactly as the
# example plugins of this repository do.
FROM sdk AS dev
ENV FAKE_SERVICER_SOURCES=/app/services \
    FAKE_SERVICER_TARGET_DIR=/app/target \
    FAKE_SERVICER_SDK=/app/sdk \
    FAKE_SERVICER_LISTEN=0.0.0.0:80 \
    FAKE_SERVICER_TLS_LISTEN=0.0.0.0:443 \
    FAKE_SERVICER_CA_DIR=/app/ca
COPY --from=build /out/dev/app/ /app/
COPY --from=build /out/dev/cargo/ /usr/local/cargo/
# The SDK's dependencies, built once: the first build of a plugin compiles
# only the plugin (a new named volume on /app/target starts from this). The
# crate `fake-servicer new` wrote in the build stage; the server binary comes
# after, so that an edit to the server reuses this layer.
COPY --from=build /out/warm/ /tmp/warm/
RUN mkdir -p /app/services \
    && cargo build --lib --manifest-path /tmp/warm/Cargo.toml --target-dir /app/target \
    && rm -rf /tmp/warm /app/target/debug/libwarm.* /app/target/debug/deps/*warm*
COPY --from=build /out/fake-servicer /usr/local/bin/fake-servicer
WORKDIR /app/services
EXPOSE 80 443
HEALTHCHECK --interval=10s --timeout=6s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/fake-servicer", "--healthcheck"]
ENTRYPOINT ["/usr/local/bin/fake-servicer"]

# WireMock's image's place: a compose service using `wiremock/wiremock`
# works with only `image:` changed. The same volume (`/home/wiremock`, with
# mappings/ and __files/), the same command (WireMock's flags, read with
# WireMock's meaning; also from $WIREMOCK_OPTIONS), port 8080. Root, as
# WireMock's image, so recordings can be written to any mounted dir and the
# Docker socket, when mounted, gives the stubs' services DNS aliases.
FROM debian:bookworm-slim AS wiremock
ENV FAKE_SERVICER_ROOT_DIR=/home/wiremock \
    FAKE_SERVICER_LISTEN=0.0.0.0:8080 \
    FAKE_SERVICER_CA_DIR=/app/ca \
    FAKE_SERVICER_WIREMOCK_ARGS=1
RUN mkdir -p /app/ca /home/wiremock/mappings /home/wiremock/__files
COPY --from=build /out/fake-servicer /usr/local/bin/fake-servicer
WORKDIR /home/wiremock
EXPOSE 8080 8443
HEALTHCHECK --interval=10s --timeout=6s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/fake-servicer", "--healthcheck"]
ENTRYPOINT ["/usr/local/bin/fake-servicer"]

# The default target: last.
FROM debian:bookworm-slim AS runtime
ENV FAKE_SERVICER_PLUGINS=/app/services \
    FAKE_SERVICER_LISTEN=0.0.0.0:80 \
    FAKE_SERVICER_TLS_LISTEN=0.0.0.0:443 \
    FAKE_SERVICER_CA_DIR=/app/ca
# The CA lives in /app/ca (a volume to share with the apps under test).
# /app/services is empty: the plugin dir must exist, and no plugin comes
# with the image (mount yours over it).
RUN mkdir -p /app/ca /app/services && chown 10001:10001 /app/ca
COPY --from=build /out/fake-servicer /usr/local/bin/fake-servicer
# Non-root by default. To manage DNS aliases the server needs the Docker
# socket: run with the socket's group (`--group-add <gid>`) or as root.
USER 10001:10001
EXPOSE 80 443
HEALTHCHECK --interval=10s --timeout=6s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/fake-servicer", "--healthcheck"]
ENTRYPOINT ["/usr/local/bin/fake-servicer"]
