# logscrub: multi-stage build, non-root runtime.
#   docker build -t logscrub .
#   docker run --rm -i logscrub < app.log
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY src src
COPY rules rules
COPY benches benches
RUN cargo build --release --locked --bin logscrub \
    && strip target/release/logscrub

# glibc, libssl (Kafka TLS) and libgcc; no shell; runs as uid 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/logscrub /usr/local/bin/logscrub
USER 65532:65532
EXPOSE 9898
ENTRYPOINT ["/usr/local/bin/logscrub"]
