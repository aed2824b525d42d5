# syntax=docker/dockerfile:1
# The extproc image: one fat jar, every subcommand (server, echo, ...). By default it runs the
# ext_proc server with gRPC on 0.0.0.0:9001 (all interfaces, so that Envoy can reach it from another
# container or pod; plaintext unless TLS is configured) and the admin HTTP port on 9002.
#   Build: docker build -t extproc:dev .
#   Run:   docker run --rm -m 512m -p 9001:9001 extproc:dev
# docs/deployment.md explains the JVM flags, the health check and the Kubernetes probes.

# ---- build: the same command as ./extproc uses to build the jar (tests are run by scripts/test.sh)
FROM maven:3.9.11-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
# The cache mount keeps ~/.m2 between builds (BuildKit, the default builder of current Docker).
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -DskipTests package -pl extproc-app -am

# ---- runtime: a JRE and the jar, run as an unprivileged user
FROM eclipse-temurin:17.0.16_8-jre-noble
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="extproc" \
      org.opencontainers.image.description="Envoy ext_proc server that processes HTTP bodies in streaming modes with bounded memory" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.base.name="docker.io/library/eclipse-temurin:17.0.16_8-jre-noble"
RUN groupadd --system --gid 10001 extproc \
 && useradd --system --uid 10001 --gid extproc --home-dir /app --no-create-home --shell /usr/sbin/nologin extproc
WORKDIR /app
COPY --from=build /src/extproc-app/target/extproc.jar /app/extproc.jar
USER 10001:10001
# Container JVM flags (the `java` launcher reads JDK_JAVA_OPTIONS; override it to change them):
# the heap is 40% of the container's memory limit, direct memory (Netty's buffers) defaults to the
# heap's size, and the remaining 20% is for metaspace, thread stacks and the code cache. An
# OutOfMemoryError ends the process, so that the orchestrator restarts it.
ENV JDK_JAVA_OPTIONS="-XX:MaxRAMPercentage=40 -XX:+ExitOnOutOfMemoryError"
# ext_proc gRPC (9001), admin HTTP (9002), echo (8688, for `echo`).
EXPOSE 9001 9002 8688
# For Docker and compose (Kubernetes ignores it and uses the gRPC probes of deploy/helm/extproc):
# GET /healthz on the admin port, over bash's /dev/tcp since the image has no curl; 503 while draining.
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9002 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q '^ok' <&3"]
ENTRYPOINT ["java", "-jar", "/app/extproc.jar"]
CMD ["server", "--host", "0.0.0.0", "--port", "9001", "--admin-port", "9002"]
