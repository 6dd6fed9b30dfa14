{{/*
metrics-aggregator-lib.metricsEndpoints: the sidecar's METRICS_ENDPOINTS, a JSON map of every
container with metrics to its URL over localhost, in the order of the containers.
*/}}
{{- define "metrics-aggregator-lib.metricsEndpoints" -}}
{{- $entries := list -}}
{{- range $c := .containers -}}
{{- with $c.metrics -}}
{{- $port := 0 -}}
{{- range $c.ports -}}
{{- if or (and (hasKey $c.metrics "port") (eq (int .containerPort) (int $c.metrics.port))) (and (hasKey $c.metrics "portName") (eq (.name | default "") (toString $c.metrics.portName))) -}}
{{- $port = int .containerPort -}}
{{- end -}}
{{- end -}}
{{- $path := .path | default "/metrics" -}}
{{- $entries = append $entries (printf "%s:%s" (toJson $c.name) (toJson (printf "http://localhost:%d%s" $port $path))) -}}
{{- end -}}
{{- end -}}
{{- printf "{%s}" (join "," $entries) -}}
{{- end -}}

{{/*
metrics-aggregator-lib.sidecar: the aggregator container, as one item of a containers list (or of
initContainers when values.nativeSidecar is true: it then carries restartPolicy: Always).
  containers:
    {{- include "metrics-aggregator-lib.sidecar" $args | nindent 4 }}
*/}}
{{- define "metrics-aggregator-lib.sidecar" -}}
{{- include "metrics-aggregator-lib.validate" . -}}
{{- $cfg := include "metrics-aggregator-lib.config" . | fromYaml -}}
- name: metrics-aggregator
  image: {{ printf "%s:%s" $cfg.image.repository $cfg.image.tag | quote }}
  imagePullPolicy: {{ $cfg.image.pullPolicy }}
  {{- if $cfg.nativeSidecar }}
  restartPolicy: Always
  {{- end }}
  ports:
    - name: metrics
      containerPort: {{ $cfg.port }}
      protocol: TCP
  env:
    - name: METRICS_ENDPOINTS
      value: {{ include "metrics-aggregator-lib.metricsEndpoints" . | toJson }}
    {{- if ne (int $cfg.port) 9090 }}
    - name: METRICS_AGGREGATOR_PORT
      value: {{ $cfg.port | toString | quote }}
    {{- end }}
    {{- if ne $cfg.originLabel "origin_container" }}
    - name: METRICS_AGGREGATOR_ORIGIN_LABEL
      value: {{ $cfg.originLabel | quote }}
    {{- end }}
    {{- with $cfg.upstreamTimeout }}
    - name: METRICS_AGGREGATOR_UPSTREAM_TIMEOUT
      value: {{ . | quote }}
    {{- end }}
    {{- if $cfg.viaIstioMerge }}
    {{- /* pilot-agent puts its own text output in front of ours: only classic text concatenates. */}}
    - name: METRICS_AGGREGATOR_FORCE_TEXT
      value: "true"
    {{- end }}
  readinessProbe:
    httpGet: {path: /readyz, port: metrics}
    periodSeconds: 5
    timeoutSeconds: 1
    failureThreshold: 3
  livenessProbe:
    httpGet: {path: /healthz, port: metrics}
    periodSeconds: 10
    timeoutSeconds: 1
    failureThreshold: 3
  resources:
    {{- toYaml $cfg.resources | nindent 4 }}
  securityContext:
    runAsNonRoot: true
    readOnlyRootFilesystem: true
    allowPrivilegeEscalation: false
    capabilities: {drop: [ALL]}
    seccompProfile: {type: RuntimeDefault}
{{- end -}}

{{/*
metrics-aggregator-lib.podAnnotations: the pod annotations of the scrape mode (prometheus.io/* for
Istio's metrics merge, which the injector hands to pilot-agent), as mapping lines; empty otherwise.
*/}}
{{- define "metrics-aggregator-lib.podAnnotations" -}}
{{- include "metrics-aggregator-lib.validate" . -}}
{{- $cfg := include "metrics-aggregator-lib.config" . | fromYaml -}}
{{- if $cfg.viaIstioMerge -}}
prometheus.io/scrape: "true"
prometheus.io/port: {{ $cfg.port | toString | quote }}
prometheus.io/path: /metrics
{{- end -}}
{{- end -}}
