# syntax=docker/dockerfile:1
#
# Beacon collector image. NOTE: written without a Docker engine (none runs on the dev machines
# or in CI), so this file has never been built; keep it minimal and review it on first real build.
#
# Base images: .NET 10's official images no longer ship a Debian variant; "10.0" is Ubuntu 24.04
# "noble" (still apt/dpkg, glibc). The tag is spelled out so the distro can't change underneath us.
# Build:  docker build -t beacon-collector .
# Run:    docker run --rm -p 8080:8080 -v beacon-data:/data beacon-collector

# ---- build ------------------------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
WORKDIR /src

# Restore layer: only what restore reads, so it is cached until a project file changes.
# (COPY with a */*.csproj glob would flatten the directories, so the projects are listed.)
COPY Directory.Build.props Directory.Packages.props global.json Beacon.sln ./
COPY eng/ eng/
COPY Parser/Beacon.Parser.csproj Parser/
COPY Router/Beacon.Router.csproj Router/
COPY Collector/Beacon.Collector.csproj Collector/
RUN dotnet restore Collector/Beacon.Collector.csproj

COPY . .
RUN dotnet publish Collector/Beacon.Collector.csproj -c Release -o /app --no-restore -p:UseAppHost=false

# ---- runtime ----------------------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble AS runtime

# librdkafka1: native client for the Kafka sink. Confluent.Kafka looks for "librdkafka.so", which
# only the -dev package provides, so link that name instead of pulling in headers.
# curl: for the HEALTHCHECK below.
# glibc's malloc, not jemalloc: jemalloc helped while every record carried four Kafka headers; with
# headers off by default it costs more CPU per record, pixels and batches alike (docs/performance.md).
RUN apt-get update \
 && apt-get install -y --no-install-recommends librdkafka1 curl \
 && so="$(dpkg -L librdkafka1 | grep '/librdkafka\.so\.1$')" && ln -s "$so" "${so%.1}" \
 && rm -rf /var/lib/apt/lists/*

# The base image has a non-root "app" user; $APP_UID (1654) is numeric so that Kubernetes'
# runAsNonRoot can verify it. /data holds the segment files / spool.
RUN mkdir -p /data && chown "$APP_UID:$APP_UID" /data
VOLUME /data

WORKDIR /app
COPY --from=build /app ./

# Port 8080 comes from appsettings.json ("Urls"); override with ASPNETCORE_URLS if needed.
ENV Beacon__DataDirectory=/data
# 8080: pixels and beacons; 9090: the admin listener (metrics, probes), keep it internal.
EXPOSE 8080 9090
USER $APP_UID

HEALTHCHECK --interval=10s --timeout=2s --start-period=10s --retries=3 \
  CMD curl -fsS -o /dev/null http://127.0.0.1:8080/healthz || exit 1

# exec form: dotnet is PID 1 and receives SIGTERM directly, so the collector drains and exits 0.
ENTRYPOINT ["dotnet", "Beacon.Collector.dll"]
