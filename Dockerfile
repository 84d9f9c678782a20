# fake-servicer image: the server, plus the example plugins in /app/services.
# Mount your own plugins (a cargo target/ dir) over /app/services.
#
# Plugins are dlopened, so they must be built for this image's glibc:
# build them in the `sdk` stage (`docker build --target sdk .`) or on a
# machine whose glibc is not newer than Debian bookworm's.

FROM rust:1-slim-bookworm AS sdk
WORKDIR /src

FROM sdk AS build
COPY . .
RUN cargo build --release --locked -p fake-servicer -p example -p other_service

FROM debian:bookworm-slim AS runtime
COPY --from=build /src/target/release/fake-servicer /usr/local/bin/fake-servicer
COPY --from=build /src/target/release/libexample.so /src/target/release/libother_service.so /app/services/
ENV FAKE_SERVICER_PLUGINS=/app/services \
    FAKE_SERVICER_LISTEN=0.0.0.0:80
EXPOSE 80
ENTRYPOINT ["/usr/local/bin/fake-servicer"]
