{{/*
Pieces of the observability kit (metrics.podMonitor, metrics.prometheusRule, metrics.dashboard):
docs/operations.md, "The observability kit in the chart".
*/}}

{{/* The chart's labels, then the user's (call with (dict "root" $ "extra" .labels)); a user label wins. */}}
{{- define "gatehouse.monitoringLabels" -}}
{{- $labels := merge (deepCopy (default dict .extra)) (include "gatehouse.labels" .root | fromYaml) }}
{{- toYaml $labels }}
{{- end }}

{{/*
An alert's labels: its severity, then metrics.prometheusRule.alertLabels (call with
(dict "root" $ "severity" "warning")).
*/}}
{{- define "gatehouse.alertLabels" -}}
{{- $labels := merge (dict "severity" .severity) (deepCopy (default dict .root.Values.metrics.prometheusRule.alertLabels)) }}
{{- toYaml $labels }}
{{- end }}

{{/*
An alert's runbook_url, on a new line indented as an alert's annotations: the section of
operations.md under metrics.prometheusRule.runbookBaseURL; nothing when that is empty (call with
(dict "root" $ "section" "retry-budget")).
*/}}
{{- define "gatehouse.runbookURL" -}}
{{- with .root.Values.metrics.prometheusRule.runbookBaseURL }}
{{- printf "runbook_url: %s" (printf "%s/operations.md#%s" (trimSuffix "/" .) $.section | quote) | nindent 12 }}
{{- end }}
{{- end }}
