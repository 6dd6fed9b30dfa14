{{/*
The library's input, one dict for every template:
  root            the caller's top-level context ($), for the release namespace and chart labels
  containers      the pod's application containers; each may carry
                  metrics: {port: <number> | portName: <name>, path: /metrics}
  values          the aggregator settings (mode, image, port, ...; see the metrics-aggregator chart)
  valuesPath      where `values` sits in the caller's values, for messages (e.g. "metricsAggregator.")
  containersPath  where `containers` sits, for messages (default "containers")
  name            the base name of the PodMonitor and PeerAuthentication
  selectorLabels  the workload's spec.selector.matchLabels
  labels          labels of the PodMonitor and PeerAuthentication (optional)
*/}}

{{/*
metrics-aggregator-lib.config: the aggregator settings with every default filled in, as YAML.
Defaults are applied key by key (not with merge, which would turn an explicit false back into true).
*/}}
{{- define "metrics-aggregator-lib.config" -}}
{{- $v := .values | default dict -}}
{{- $image := get $v "image" | default dict -}}
{{- $podMonitor := get $v "podMonitor" | default dict -}}
{{- $peer := get $v "peerAuthentication" | default dict -}}
{{- $mode := ternary $v.mode "istio-metrics-merge" (and (hasKey $v "mode") (not (empty $v.mode))) -}}
{{- $meshed := ne $mode "no-mesh" -}}
mode: {{ $mode | quote }}
meshed: {{ $meshed }}
viaIstioMerge: {{ eq $mode "istio-metrics-merge" }}
image:
  repository: {{ $image.repository | default (include "metrics-aggregator-lib.defaultImageRepository" .) | quote }}
  tag: {{ $image.tag | default (include "metrics-aggregator-lib.defaultImageTag" .) | quote }}
  pullPolicy: {{ $image.pullPolicy | default "IfNotPresent" | quote }}
port: {{ ternary $v.port 9090 (hasKey $v "port") | int }}
originLabel: {{ $v.originLabel | default "origin_container" | quote }}
upstreamTimeout: {{ $v.upstreamTimeout | default "" | quote }}
scrapeInterval: {{ $v.scrapeInterval | default "" | quote }}
nativeSidecar: {{ ternary $v.nativeSidecar false (hasKey $v "nativeSidecar") }}
resources:
  {{- if hasKey $v "resources" }}
  {{- toYaml $v.resources | nindent 2 }}
  {{- else }}
  requests: {cpu: 10m, memory: 32Mi}
  limits: {cpu: 100m, memory: 128Mi}
  {{- end }}
podMonitor:
  enabled: {{ ternary $podMonitor.enabled true (hasKey $podMonitor "enabled") }}
  apiVersion: {{ $podMonitor.apiVersion | default "monitoring.coreos.com/v1" | quote }}
  labels: {{ $podMonitor.labels | default dict | toJson }}
  annotations: {{ $podMonitor.annotations | default dict | toJson }}
peerAuthentication:
  enabled: {{ ternary $peer.enabled $meshed (and (hasKey $peer "enabled") (not (kindIs "invalid" $peer.enabled))) }}
  apiVersion: {{ $peer.apiVersion | default "security.istio.io/v1" | quote }}
{{- end -}}

{{/* The image this repository builds; its tag moves with the chart's appVersion (a test checks both against the package version). */}}
{{- define "metrics-aggregator-lib.defaultImageRepository" -}}ghcr.io/metrics-aggregator/metrics-aggregator{{- end -}}
{{- define "metrics-aggregator-lib.defaultImageTag" -}}0.1.0{{- end -}}
