# The gatehouse image: one executable for both Deployments (`gatehouse controller`, `gatehouse proxy`).
#   docker build -t gatehouse:0.1.0 .
# Build stage: the Maven Wrapper builds the fat jar app/target/gatehouse.jar (tests run in CI, not here).
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
# Poms and the wrapper first, so the dependency download is cached while only sources change.
COPY .mvn/ .mvn/
COPY mvnw pom.xml ./
COPY crds/pom.xml crds/
COPY config/pom.xml config/
COPY controller/pom.xml controller/
COPY proxy/pom.xml proxy/
COPY app/pom.xml app/
RUN ./mvnw -B -q -pl app -am dependency:go-offline || true
COPY crds/ crds/
COPY config/ config/
COPY controller/ controller/
COPY proxy/ proxy/
COPY app/ app/
RUN ./mvnw -B -q -DskipTests -pl app -am package

# Run stage: the JRE, the jar, a non-root user. The root filesystem can be read-only: the proxy
# writes only to --state-dir (/var/lib/gatehouse) and the JVM to /tmp, both volumes in the chart.
FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 gatehouse \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin gatehouse \
 && mkdir -p /opt/gatehouse /var/lib/gatehouse \
 && chown 10001:10001 /var/lib/gatehouse
COPY --from=build /src/app/target/gatehouse.jar /opt/gatehouse/gatehouse.jar
USER 10001:10001
WORKDIR /opt/gatehouse
# proxy HTTP, status/metrics, controller channel
EXPOSE 8000 8100 18000
ENTRYPOINT ["java", "-XX:+UseParallelGC", "-XX:MaxRAMPercentage=75", "-jar", "/opt/gatehouse/gatehouse.jar"]
