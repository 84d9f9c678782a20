# fake-servicer: mock HTTP services from hot-reloaded Rust plugins.
#
# Targets:
#   runtime (default)  the server, with the example plugins in /app/services;
#                      mount your plugins (a cargo target/ dir) over it.
#   dev                source mode: the Rust toolchain and the server; mount
#                      plugin crates at /app/services and the server builds,
#                      serves and rebuilds them (no Rust needed on the host).
#                      Keep /app/target and /usr/local/cargo/registry in
#                      named volumes so restarts build incrementally.
#   sdk                the Rust toolchain on the runtime's glibc: build plugins
#                      with it when your machine's glibc is newer than the
#                      image's (a plugin built against a newer glibc does not
#                      load), or on macOS/Windows.
#
# A vendor/ directory in the build context (from `cargo vendor`) makes the
# build work without network (the dev image then builds plugins from it too).

FROM rust:1-slim-bookworm AS sdk
WORKDIR /work

FROM sdk AS build
LABEL fake-servicer.stage=build
WORKDIR /src
# The dependencies first, in a layer of their own: building the image again
# after an edit to the sources compiles only this workspace's crates. (The
# `vendo[r]` pattern copies a vendor/ directory's crates when there is one.)
COPY Cargo.toml Cargo.lock vendo[r] /deps/
COPY server/Cargo.toml server/
COPY sdk/Cargo.toml sdk/
COPY sdk-macros/Cargo.toml sdk-macros/
COPY plugins/example/Cargo.toml plugins/example/
COPY plugins/other_service/Cargo.toml plugins/other_service/
COPY bench/Cargo.toml bench/
COPY client/Cargo.toml client/
RUN mv /deps/Cargo.toml /deps/Cargo.lock . \
    && if [ -n "$(ls /deps)" ]; then \
        printf '[source.crates-io]\nreplace-with = "vendored"\n[source.vendored]\ndirectory = "/deps"\n' > "$CARGO_HOME/config.toml"; \
    fi \
    && for d in server sdk sdk-macros client plugins/example plugins/other_service; do \
        mkdir -p "$d/src" && touch "$d/src/lib.rs"; \
    done \
    && mkdir -p bench/src/bin \
    && for f in server/src/main.rs bench/src/main.rs bench/src/bin/bare_axum.rs; do echo 'fn main() {}' > "$f"; done \
    && cargo build --release --locked -p fake-servicer -p example -p other_service \
    && rm -rf server/src sdk/src sdk-macros/src client/src plugins/*/src bench/src
COPY . .
RUN find server sdk sdk-macros client plugins bench -name '*.rs' -exec touch {} + \
    && cargo build --release --locked -p fake-servicer -p example -p other_service \
    && mkdir -p /out/services /out/dev/app /out/dev/cargo \
    && cp target/release/fake-servicer /out/ \
    && cp target/release/libexample.so target/release/libother_service.so /out/services/ \
    && cp -r sdk sdk-macros /out/dev/app/ \
    && if [ -f "$CARGO_HOME/config.toml" ]; then \
        mv /deps /out/dev/app/vendor \
        && sed 's#"/deps"#"/app/vendor"#' "$CARGO_HOME/config.toml" > /out/dev/cargo/config.toml; \
    fi

# Source mode. The SDK sits at /app/sdk, so a plugin crate mounted at
# /app/services/<name> depends on it as `path = "../../sdk"`, exactly as the
# example plugins of this repository do.
FROM sdk AS dev
COPY --from=build /out/fake-servicer /usr/local/bin/fake-servicer
COPY --from=build /out/dev/app/ /app/
COPY --from=build /out/dev/cargo/ /usr/local/cargo/
ENV FAKE_SERVICER_SOURCES=/app/services \
    FAKE_SERVICER_TARGET_DIR=/app/target \
    FAKE_SERVICER_SDK=/app/sdk \
    FAKE_SERVICER_LISTEN=0.0.0.0:80 \
    FAKE_SERVICER_TLS_LISTEN=0.0.0.0:443 \
    FAKE_SERVICER_CA_DIR=/app/ca
# The SDK's dependencies, built once: the first build of a plugin compiles
# only the plugin (a new named volume on /app/target starts from this).
RUN mkdir -p /app/services \
    && fake-servicer new warm /tmp/warm \
    && cargo build --lib --manifest-path /tmp/warm/Cargo.toml --target-dir /app/target \
    && rm -rf /tmp/warm /app/target/debug/libwarm.* /app/target/debug/deps/*warm*
WORKDIR /app/services
EXPOSE 80 443
HEALTHCHECK --interval=10s --timeout=6s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/fake-servicer", "--healthcheck"]
ENTRYPOINT ["/usr/local/bin/fake-servicer"]

FROM debian:bookworm-slim AS runtime
COPY --from=build /out/fake-servicer /usr/local/bin/fake-servicer
COPY --from=build /out/services/ /app/services/
ENV FAKE_SERVICER_PLUGINS=/app/services \
    FAKE_SERVICER_LISTEN=0.0.0.0:80 \
    FAKE_SERVICER_TLS_LISTEN=0.0.0.0:443 \
    FAKE_SERVICER_CA_DIR=/app/ca
# The CA lives in /app/ca (a volume to share with the apps under test).
RUN mkdir -p /app/ca && chown 10001:10001 /app/ca
# Non-root by default. To manage DNS aliases the server needs the Docker
# socket: run with the socket's group (`--group-add <gid>`) or as root.
USER 10001:10001
EXPOSE 80 443
HEALTHCHECK --interval=10s --timeout=6s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/fake-servicer", "--healthcheck"]
ENTRYPOINT ["/usr/local/bin/fake-servicer"]
