# syntax=docker/dockerfile:1
# The extproc image: one fat jar, every subcommand (server, echo, ...). Used by docker-compose.yaml
# for the `echo` and `extproc` services. Build: docker build -t extproc:dev .
# Run:   docker run --rm -p 8688:8688 extproc:dev echo --host 0.0.0.0

# ---- build: the same command as ./extproc uses to build the jar (tests are run by scripts/test.sh)
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
# The cache mount keeps ~/.m2 between builds (BuildKit, the default builder of current Docker).
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -DskipTests package -pl extproc-app -am

# ---- runtime: a JRE and the jar, run as an unprivileged user
FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 extproc \
 && useradd --system --uid 10001 --gid extproc --home-dir /app --no-create-home --shell /usr/sbin/nologin extproc
WORKDIR /app
COPY --from=build /src/extproc-app/target/extproc.jar /app/extproc.jar
USER 10001:10001
# echo (8688), ext_proc gRPC (9001), ext_proc admin HTTP (9002); each command binds 127.0.0.1
# unless given --host 0.0.0.0, as the compose file does.
EXPOSE 8688 9001 9002
ENTRYPOINT ["java","-jar","/app/extproc.jar"]
CMD ["--help"]
