{{/*
metrics-aggregator-lib.peerAuthentication: the STRICT Istio PeerAuthentication of the mesh modes, a
whole manifest (empty in no-mesh mode or when values.peerAuthentication.enabled is false). In
port-level-exception mode, the aggregator port alone is PERMISSIVE.
*/}}
{{- define "metrics-aggregator-lib.peerAuthentication" -}}
{{- include "metrics-aggregator-lib.validate" . -}}
{{- $cfg := include "metrics-aggregator-lib.config" . | fromYaml -}}
{{- if $cfg.peerAuthentication.enabled -}}
apiVersion: {{ $cfg.peerAuthentication.apiVersion }}
kind: PeerAuthentication
metadata:
  name: {{ .name }}
  namespace: {{ .root.Release.Namespace }}
  {{- with .labels }}
  labels:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  selector:
    matchLabels:
      {{- toYaml .selectorLabels | nindent 6 }}
  mtls:
    mode: STRICT
  {{- if not $cfg.viaIstioMerge }}
  portLevelMtls:
    {{ $cfg.port | toString | quote }}:
      mode: PERMISSIVE
  {{- end }}
{{- end -}}
{{- end -}}

{{/*
metrics-aggregator-lib.scrapePort: the port Prometheus connects to in the pod: pilot-agent's 15020
with Istio's metrics merge, the aggregator's own otherwise (what a NetworkPolicy must admit).
*/}}
{{- define "metrics-aggregator-lib.scrapePort" -}}
{{- $cfg := include "metrics-aggregator-lib.config" . | fromYaml -}}
{{- ternary 15020 (int $cfg.port) $cfg.viaIstioMerge -}}
{{- end -}}
