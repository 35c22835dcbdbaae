# syntax=docker/dockerfile:1
# The gatehouse image: one executable for both Deployments (`gatehouse controller`, `gatehouse proxy`).
#   docker build -t gatehouse:0.1.0 .
# The chart (helm/gatehouse) and manifests/gatehouse.yaml run it as user 10001 with a read-only root.

# Build stage: the Maven Wrapper builds the fat jar app/target/gatehouse.jar. Tests run in CI, not
# here. The Maven repository is a BuildKit cache, so a rebuild after a source change downloads nothing.
# It runs on the builder's own platform ($BUILDPLATFORM): the jar is the same for every platform, so a
# multi-arch build (linux/amd64,linux/arm64) runs Maven once, natively, not under emulation.
FROM --platform=$BUILDPLATFORM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -q -DskipTests -pl app -am package

# Run stage: the JRE, the jar and a non-root user. The proxy writes only to --state-dir
# (/var/lib/gatehouse) and the JVM to /tmp; the chart mounts both as emptyDir volumes.
FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 gatehouse \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin gatehouse \
 && mkdir -p /opt/gatehouse /var/lib/gatehouse \
 && chown 10001:10001 /var/lib/gatehouse
COPY --from=build /src/app/target/gatehouse.jar /opt/gatehouse/gatehouse.jar
# The AppCDS archive: a training start of the jar (`gatehouse demo` on a small config, a few requests, then
# SIGTERM) writes the classes it loaded (-XX:ArchiveClassesAtExit), and every start maps them instead of
# loading and verifying them again, which halves the time to the first request (docs/benchmarks.md,
# "Startup and memory"). It is made here, with this stage's JRE and the jar at the path ENTRYPOINT gives,
# because an archive is used only by the JVM build that wrote it and the same class path; the script fails
# the build unless a start of the jar loads its classes from the archive. A start whose settings do not
# match (another JVM, compressed pointers off) runs without it (-Xshare:auto, the JVM's default). The
# training is one start of the JVM: seconds natively, minutes for the arm64 half of a multi-arch build
# (emulated; bench/cds-train.sh waits up to CDS_TRAIN_TIMEOUT, 600 s).
COPY bench/cds-train.sh /tmp/cds-train.sh
RUN /tmp/cds-train.sh /opt/gatehouse/gatehouse.jar /opt/gatehouse/gatehouse.jsa \
 && rm -rf /tmp/cds-train.sh /tmp/hsperfdata_root
USER 10001:10001
WORKDIR /opt/gatehouse
# proxy HTTP, status and metrics, controller channel
EXPOSE 8000 8100 18000
# JVM options through the launcher's JDK_JAVA_OPTIONS, so that the chart's javaOpts (or `docker run
# -e JDK_JAVA_OPTIONS=...`) replace them rather than conflict with flags fixed here: the heap a share
# of the container's memory limit, the Parallel collector, exit on OutOfMemoryError, no performance-data
# file (-XX:-UsePerfData; jcmd works, jstat and jps do not see the JVM), the AppCDS archive.
# The chart's default javaOpts are the same (DockerfileTest).
ENV JDK_JAVA_OPTIONS="-XX:+UseParallelGC -XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError -XX:-UsePerfData -XX:SharedArchiveFile=/opt/gatehouse/gatehouse.jsa"
ENTRYPOINT ["java", "-jar", "/opt/gatehouse/gatehouse.jar"]
