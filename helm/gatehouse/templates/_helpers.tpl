{{/*
Names, labels and the pieces both Deployments share. Ports are fixed by the executable's
contract (DESIGN §6): proxy HTTP 8000, status/metrics 8100, channel 18000.
*/}}

{{- define "gatehouse.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* <release>-<chart>, or the release name alone when it already holds the chart name. */}}
{{- define "gatehouse.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "gatehouse.controllerName" -}}
{{- printf "%s-controller" (include "gatehouse.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "gatehouse.proxyName" -}}
{{- printf "%s-proxy" (include "gatehouse.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "gatehouse.channelName" -}}
{{- printf "%s-channel" (include "gatehouse.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "gatehouse.tokenSecretName" -}}
{{- default (printf "%s-channel-token" (include "gatehouse.fullname" .)) .Values.channel.token.secretName }}
{{- end }}

{{/* repository@digest when image.digest pins it, else repository:tag (tag default: the appVersion). */}}
{{- define "gatehouse.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "gatehouse.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "gatehouse.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: gatehouse
{{- end }}

{{/* Selector labels of one component: call with (dict "root" $ "component" "proxy"). */}}
{{- define "gatehouse.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gatehouse.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "gatehouse.componentLabels" -}}
{{ include "gatehouse.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Pod labels: the component's, then its podLabels (the schema keeps them off app.kubernetes.io/). */}}
{{- define "gatehouse.podLabels" -}}
{{ include "gatehouse.componentLabels" . }}
{{- with .values.podLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The container's tuning: JDK_JAVA_OPTIONS from javaOpts, then extraEnv (env entries, no "env:" key). */}}
{{- define "gatehouse.extraEnv" -}}
{{- with .values.javaOpts }}
- name: JDK_JAVA_OPTIONS
  value: {{ . | quote }}
{{- end }}
{{- with .values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* extraArgs, appended to the chart's own (args entries). */}}
{{- define "gatehouse.extraArgs" -}}
{{- range .values.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end }}

{{/* Pod annotations: prometheus.io/* when metrics are on, then the component's own. */}}
{{- define "gatehouse.podAnnotations" -}}
{{- $annotations := dict }}
{{- if .root.Values.metrics.enabled }}
{{- $_ := set $annotations "prometheus.io/scrape" "true" }}
{{- $_ := set $annotations "prometheus.io/port" "8100" }}
{{- $_ := set $annotations "prometheus.io/path" (default "/metrics" .root.Values.metrics.path) }}
{{- end }}
{{- $annotations = merge (deepCopy (default dict .values.podAnnotations)) $annotations }}
{{- if $annotations }}
annotations:
  {{- toYaml $annotations | nindent 2 }}
{{- end }}
{{- end }}

{{/* Pod Security "restricted": non-root user 10001, RuntimeDefault seccomp. */}}
{{- define "gatehouse.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "gatehouse.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
privileged: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* A proxy security context: "base" (RuntimeDefault) as it is, or with proxy.seccompProfile in its
     place when that names another (io_uring needs a profile that allows its system calls: docs/proxy.md). */}}
{{- define "gatehouse.proxySecurityContext" -}}
{{- $profile := .root.Values.proxy.seccompProfile | default dict -}}
{{- if or (ne ($profile.type | default "RuntimeDefault") "RuntimeDefault") $profile.localhostProfile -}}
{{- $context := fromYaml .base -}}
{{- $seccomp := dict "type" $profile.type -}}
{{- if $profile.localhostProfile -}}
{{- $_ := set $seccomp "localhostProfile" $profile.localhostProfile -}}
{{- end -}}
{{- $_ := set $context "seccompProfile" $seccomp -}}
{{- toYaml $context -}}
{{- else -}}
{{- .base -}}
{{- end -}}
{{- end }}

{{/* Probes on the status port: /healthz (startup, liveness) and /readyz (readiness). */}}
{{- define "gatehouse.probes" -}}
startupProbe:
  httpGet: {path: /healthz, port: status}
  periodSeconds: 2
  failureThreshold: 60
livenessProbe:
  httpGet: {path: /healthz, port: status}
  periodSeconds: 10
  timeoutSeconds: 2
  failureThreshold: 3
readinessProbe:
  httpGet: {path: /readyz, port: status}
  periodSeconds: 5
  timeoutSeconds: 2
  failureThreshold: 2
{{- end }}

{{/*
Scheduling: priorityClassName, nodeSelector, tolerations, affinity (default: prefer one replica per
node) and topologySpreadConstraints (a constraint without labelSelector gets the component's pods).
*/}}
{{- define "gatehouse.scheduling" -}}
{{- with .values.priorityClassName }}
priorityClassName: {{ . | quote }}
{{- end }}
{{- with .values.topologySpreadConstraints }}
topologySpreadConstraints:
{{- range . }}
{{- $constraint := deepCopy . }}
{{- if not (hasKey $constraint "labelSelector") }}
{{- $_ := set $constraint "labelSelector" (dict "matchLabels" (include "gatehouse.selectorLabels" $ | fromYaml)) }}
{{- end }}
  - {{- toYaml $constraint | nindent 4 }}
{{- end }}
{{- end }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
affinity:
{{- if .values.affinity }}
  {{- toYaml .values.affinity | nindent 2 }}
{{- else }}
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              {{- include "gatehouse.selectorLabels" . | nindent 14 }}
{{- end }}
{{- end }}

{{/* The channel token, mounted read-only at /etc/gatehouse/token/token in both Deployments. */}}
{{- define "gatehouse.tokenVolume" -}}
- name: channel-token
  secret:
    secretName: {{ include "gatehouse.tokenSecretName" . }}
    defaultMode: 288 # 0440, readable by the pod's group 10001
    items:
      - key: token
        path: token
{{- end }}

{{/*
The default certificate's Secret as NAMESPACE/NAME (a bare NAME is in the release namespace); empty when none.
*/}}
{{- define "gatehouse.defaultCertificateSecret" -}}
{{- with .Values.controller.defaultCertificateSecret -}}
{{- if contains "/" . }}{{ . }}{{ else }}{{ printf "%s/%s" $.Release.Namespace . }}{{ end -}}
{{- end -}}
{{- end }}
