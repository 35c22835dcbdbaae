{{/*
The channel between controller and proxies: its URL, the names in its certificate, the TLS
Secret and the pieces the two Deployments add for it. TLS is on unless channel.tls.enabled=false.
*/}}

{{/* The channel's TLS Secret: ca.crt (the proxies pin it), tls.crt and tls.key (the controller serves them). */}}
{{- define "gatehouse.tlsSecretName" -}}
{{- default (printf "%s-channel-tls" (include "gatehouse.fullname" .)) .Values.channel.tls.secretName }}
{{- end }}

{{/* Every name the channel Service answers to in the cluster, as a JSON list; all are in the certificate. */}}
{{- define "gatehouse.channelDnsNames" -}}
{{- $svc := include "gatehouse.channelName" . }}
{{- $ns := .Release.Namespace }}
{{- list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.%s" $svc $ns .Values.channel.tls.clusterDomain) | toJson }}
{{- end }}

{{/* What proxies dial: wss://<service>.<namespace>.svc:18000, ws:// only when TLS is off. */}}
{{- define "gatehouse.channelURL" -}}
{{- printf "%s://%s.%s.svc:18000" (ternary "wss" "ws" .Values.channel.tls.enabled) (include "gatehouse.channelName" .) .Release.Namespace }}
{{- end }}

{{/* Controller: the certificate and key it serves. */}}
{{- define "gatehouse.controllerTlsArgs" -}}
{{- if .Values.channel.tls.enabled }}
- --tls-cert
- /etc/gatehouse/channel-tls/tls.crt
- --tls-key
- /etc/gatehouse/channel-tls/tls.key
{{- end }}
{{- end }}

{{- define "gatehouse.controllerTlsMount" -}}
{{- if .Values.channel.tls.enabled }}
- name: channel-tls
  mountPath: /etc/gatehouse/channel-tls
  readOnly: true
{{- end }}
{{- end }}

{{- define "gatehouse.controllerTlsVolume" -}}
{{- if .Values.channel.tls.enabled }}
- name: channel-tls
  secret:
    secretName: {{ include "gatehouse.tlsSecretName" . }}
    defaultMode: 288 # 0440, readable by the pod's group 10001
    items:
      - {key: tls.crt, path: tls.crt}
      - {key: tls.key, path: tls.key}
{{- end }}
{{- end }}

{{/* Proxy: the pinned CA, and nothing else of the Secret (not the controller's key). */}}
{{- define "gatehouse.proxyTlsArgs" -}}
{{- if .Values.channel.tls.enabled }}
- --ca-file
- /etc/gatehouse/channel-ca/ca.crt
{{- end }}
{{- end }}

{{- define "gatehouse.proxyTlsMount" -}}
{{- if .Values.channel.tls.enabled }}
- name: channel-ca
  mountPath: /etc/gatehouse/channel-ca
  readOnly: true
{{- end }}
{{- end }}

{{- define "gatehouse.proxyTlsVolume" -}}
{{- if .Values.channel.tls.enabled }}
- name: channel-ca
  secret:
    secretName: {{ include "gatehouse.tlsSecretName" . }}
    defaultMode: 292 # 0444: a CA certificate is public
    items:
      - {key: ca.crt, path: ca.crt}
{{- end }}
{{- end }}
