# fake-servicer: mock HTTP services from hot-reloaded Rust plugins.
#
# Targets:
#   runtime (default)  the server, with the example plugins in /app/services;
#                      mount your plugins (a cargo target/ dir) over it.
#   sdk                the Rust toolchain on the runtime's glibc: build plugins
#                      with it when your machine's glibc is newer than the
#                      image's (a plugin built against a newer glibc does not
#                      load), or on macOS/Windows.
#
# A vendor/ directory in the build context (from `cargo vendor`) makes the
# build work without network.

FROM rust:1-slim-bookworm AS sdk
WORKDIR /work

FROM sdk AS build
LABEL fake-servicer.stage=build
WORKDIR /src
COPY . .
RUN if [ -d vendor ]; then \
        mkdir -p .cargo \
        && printf '[source.crates-io]\nreplace-with = "vendored"\n[source.vendored]\ndirectory = "vendor"\n' >> .cargo/config.toml; \
    fi \
    && cargo build --release --locked -p fake-servicer -p example -p other_service \
    && mkdir -p /out/services \
    && cp target/release/fake-servicer /out/ \
    && cp target/release/libexample.so target/release/libother_service.so /out/services/

FROM debian:bookworm-slim AS runtime
COPY --from=build /out/fake-servicer /usr/local/bin/fake-servicer
COPY --from=build /out/services/ /app/services/
ENV FAKE_SERVICER_PLUGINS=/app/services \
    FAKE_SERVICER_LISTEN=0.0.0.0:80
# Non-root by default. To manage DNS aliases the server needs the Docker
# socket: run with the socket's group (`--group-add <gid>`) or as root.
USER 10001:10001
EXPOSE 80
HEALTHCHECK --interval=10s --timeout=6s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/fake-servicer", "--healthcheck"]
ENTRYPOINT ["/usr/local/bin/fake-servicer"]
