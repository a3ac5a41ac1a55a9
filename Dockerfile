# Turnout: build the shaded jar with Maven, run it on a JRE as a non-root user.
#
#   docker build -t turnout .
#   docker run --rm -p 8080:8080 \
#     -v "$PWD/proxy.yaml:/etc/turnout/proxy.yaml:ro" \
#     -v turnout-state:/var/lib/turnout \
#     turnout
#
# The admin API stays on 127.0.0.1:9090 inside the container unless your proxy.yaml says
# otherwise; see README.md, "Running in Docker", before you publish port 9090.

# ---- build -------------------------------------------------------------------
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
# Dependencies first, so that a source change does not download them again.
COPY pom.xml ./
RUN mvn -B -q dependency:go-offline
COPY src ./src
RUN mvn -B -q -DskipTests package

# ---- runtime -----------------------------------------------------------------
FROM eclipse-temurin:17-jre

RUN groupadd --system turnout \
 && useradd --system --gid turnout --home-dir /var/lib/turnout --no-create-home \
      --shell /usr/sbin/nologin turnout \
 && mkdir -p /opt/turnout /etc/turnout /var/lib/turnout \
 && chown turnout:turnout /var/lib/turnout

COPY --from=build /src/target/turnout.jar /opt/turnout/turnout.jar
# The launcher and the JVM options it applies (bin/jvm.options, chosen by measurement; the heap
# follows the container's memory limit). TURNOUT_JAVA_OPTS adds to or overrides them.
COPY bin/turnout bin/jvm.options /opt/turnout/bin/
# The class-data archive, built by this image's own JVM (an archive from another JVM is ignored):
# Turnout then starts in about two thirds of the time (bench/README.md, "Start time").
RUN /opt/turnout/bin/turnout train
# The repository's proxy.yaml is only a default: mount your own over it.
COPY proxy.yaml /etc/turnout/proxy.yaml

USER turnout
# state.file (turnout-state.json) is relative to the working directory, so the active pool is
# remembered in /var/lib/turnout. Mount a volume here to keep it across container re-creation.
WORKDIR /var/lib/turnout

EXPOSE 8080 9090

# The health check runs inside the container, so it reaches the admin listener on loopback.
# It uses bash's /dev/tcp instead of curl or wget: the JRE image is not guaranteed to ship
# either, and installing one only for this would add a package layer to keep patched.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9090 && printf 'GET /health HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]

# The launcher execs the JVM: it is PID 1's program, and SIGTERM and SIGHUP reach Turnout itself.
ENTRYPOINT ["/opt/turnout/bin/turnout"]
# Kept apart from ENTRYPOINT so that `docker run turnout check --config /etc/turnout/proxy.yaml`
# works too.
CMD ["--config", "/etc/turnout/proxy.yaml"]
