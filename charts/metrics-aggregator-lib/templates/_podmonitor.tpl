{{/*
metrics-aggregator-lib.podMonitor: the prometheus-operator PodMonitor of the scrape mode, a whole
manifest (empty when values.podMonitor.enabled is false). In istio-metrics-merge mode it keeps the
istio-proxy container and rewrites its address to <pod IP>:15020, where pilot-agent serves the merge
(istio-proxy declares only 15090: the pattern of Istio's own sample PodMonitor).
*/}}
{{- define "metrics-aggregator-lib.podMonitor" -}}
{{- include "metrics-aggregator-lib.validate" . -}}
{{- $cfg := include "metrics-aggregator-lib.config" . | fromYaml -}}
{{- if $cfg.podMonitor.enabled -}}
apiVersion: {{ $cfg.podMonitor.apiVersion }}
kind: PodMonitor
metadata:
  name: {{ .name }}
  namespace: {{ .root.Release.Namespace }}
  {{- $labels := merge (dict) $cfg.podMonitor.labels (.labels | default dict) }}
  {{- with $labels }}
  labels:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $cfg.podMonitor.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  selector:
    matchLabels:
      {{- toYaml .selectorLabels | nindent 6 }}
  podMetricsEndpoints:
    {{- if $cfg.viaIstioMerge }}
    - port: http-envoy-prom
      path: /stats/prometheus
      scheme: http
      {{- with $cfg.scrapeInterval }}
      interval: {{ . }}
      {{- end }}
      relabelings:
        - action: keep
          sourceLabels: [__meta_kubernetes_pod_container_name]
          regex: istio-proxy
        - action: replace
          sourceLabels: [__meta_kubernetes_pod_ip]
          regex: (.+:.+)
          replacement: "[$1]:15020"
          targetLabel: __address__
        - action: replace
          sourceLabels: [__meta_kubernetes_pod_ip]
          regex: ([^:]+)
          replacement: $1:15020
          targetLabel: __address__
    {{- else }}
    - port: metrics
      path: /metrics
      scheme: http
      {{- with $cfg.scrapeInterval }}
      interval: {{ . }}
      {{- end }}
    {{- end }}
{{- end -}}
{{- end -}}
